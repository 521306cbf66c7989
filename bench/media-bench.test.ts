import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runMixerBench } from './mixer.ts';
import { runRelayBench, type RelayBenchResult } from './rtp-relay.ts';

const finitePositive = (x: number): boolean => Number.isFinite(x) && x > 0;

function assertRelayFigures(r: RelayBenchResult): void {
  assert.ok(r.parallelism >= 1);
  assert.equal(r.relay.length, 1);
  assert.equal(r.baseline.length, 1);
  for (const s of [...r.relay, ...r.baseline]) {
    assert.ok(finitePositive(s.cpuUsPerPacket), `cpu ${s.cpuUsPerPacket}`);
    assert.ok(s.packetsRelayed > 0);
    assert.ok(Number.isFinite(s.lossPct) && s.lossPct >= 0);
    assert.ok(finitePositive(s.p99Ms) && s.p50Ms <= s.p99Ms, `p50 ${s.p50Ms} p99 ${s.p99Ms}`);
    assert.ok(finitePositive(s.generatorCpuPct), `generator cpu ${s.generatorCpuPct}`);
  }
  assert.ok(finitePositive(r.ratio), JSON.stringify(r));
}

test('bench smoke: the relay benchmark produces finite figures for relay and baseline', async () => {
  const r = await runRelayBench({ steps: [3], durationMs: 400 });
  assertRelayFigures(r);
});

test('bench smoke: the Node load generator (used without a C compiler) produces the same figures', async () => {
  const r = await runRelayBench({ steps: [3], durationMs: 400, generator: 'node' });
  assert.match(r.generator, /^node/);
  assertRelayFigures(r);
});

test('bench smoke: the mixer benchmark produces finite figures against its baseline', () => {
  const r = runMixerBench({ sizes: [3], ticks: 20 });
  const [s] = r.steps;
  assert.ok(
    s &&
      finitePositive(s.usPerParticipantTick) &&
      finitePositive(s.naiveUsPerParticipantTick) &&
      finitePositive(s.speedup),
  );
});
