import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runOpusBench } from './opus.ts';

const finitePositive = (x: number): boolean => Number.isFinite(x) && x > 0;

test('bench smoke: the Opus benchmark produces finite figures for each installed library and the G.711 baseline', () => {
  const r = runOpusBench({ frames: 50, complexities: [5], instances: 3 });
  assert.ok(Number.isFinite(r.g711Us) && r.g711Us >= 0, `g711 ${r.g711Us}`);
  assert.ok(r.libraries.length >= 1, `libraries: none installed (${r.missing.join(', ')})`);
  for (const l of r.libraries) {
    for (const x of [l.encodeUs, l.decodeUs, l.encode8kUs, l.decode8kUs, l.payloadBytes])
      assert.ok(finitePositive(x), `${l.library}: ${JSON.stringify(l)}`);
    assert.equal(l.garbageRefused, true);
    assert.ok(l.instancesOk >= 1);
  }
});
