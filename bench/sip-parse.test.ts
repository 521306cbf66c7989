import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSipParseBench } from './sip-parse.ts';

test('runSipParseBench reports positive figures for both parsers', () => {
  const r = runSipParseBench({ iterations: 50 });
  for (const v of [r.callbinUsPerMessage, r.sipPackageUsPerMessage, r.ratio, r.cores, r.messageBytes]) {
    assert.ok(Number.isFinite(v) && v > 0, `not a positive number: ${v}`);
  }
  assert.equal(r.iterations, 50);
});
