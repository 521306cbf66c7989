import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runMixerBench } from './mixer.ts';
import { runRelayBench } from './rtp-relay.ts';

const finitePositive = (x: number): boolean => Number.isFinite(x) && x > 0;

test('bench smoke: the relay benchmark produces finite figures for relay and baseline', async () => {
  const r = await runRelayBench({ steps: [3], durationMs: 400 });
  assert.ok(r.parallelism >= 1);
  for (const s of [...r.relay, ...r.baseline]) {
    assert.ok(finitePositive(s.cpuUsPerPacket), `cpu ${s.cpuUsPerPacket}`);
    assert.ok(s.packetsRelayed > 0);
    assert.ok(Number.isFinite(s.lossPct) && s.lossPct >= 0);
    assert.ok(finitePositive(s.p99Ms));
  }
  assert.ok(finitePositive(r.ratio), JSON.stringify(r));
});

test('bench smoke: the mixer benchmark produces finite figures against its baseline', () => {
  const r = runMixerBench({ sizes: [3], ticks: 20 });
  const [s] = r.steps;
  assert.ok(s && finitePositive(s.usPerParticipantTick) && finitePositive(s.naiveUsPerParticipantTick) && finitePositive(s.speedup));
});
