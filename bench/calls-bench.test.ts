import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FULL_OPTIONS, processTree, runCallsBench } from './calls/index.ts';

/** Descendants of this test process that the benchmark starts (esbuild's service is tsx's own). */
function leftovers(): string[] {
  return processTree(process.pid)
    .filter((pid) => pid !== process.pid)
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        return '';
      }
    })
    .filter((cmd) => /sipp|kamailio|rtpengine|taskset|cli\/main\.ts|http-load|bare-http-server/.test(cmd));
}

test('bench/calls.ts runs every scenario against callbin and the Kamailio/rtpengine baselines and writes the result file (smoke, not speed)', async () => {
  const resultsDir = await mkdtemp(join(tmpdir(), 'callbin-bench-results-'));
  try {
    const r = await runCallsBench({
      ...FULL_OPTIONS,
      cpsRates: [5, 10],
      cpsStepSeconds: 1,
      costRatePerSec: 5,
      costSeconds: 1,
      latencyRatePerSec: 5,
      latencySeconds: 1,
      mediaLevels: [3],
      talkLevels: [3],
      holdMs: 2000,
      mediaSetupRatePerSec: 10,
      apiDurationMs: 500,
      apiConcurrency: 2,
      resultsDir,
      install: false,
    });
    assert.ok(r.cps && r.cost && r.latency && r.media && r.api, 'every scenario ran');
    assert.ok(r.cps.callbin.steps.length > 0 && r.cps.kamailio.maxSustainedPerSec > 0, JSON.stringify(r.cps.kamailio));
    for (const step of [r.cost.callbin, r.cost.kamailio]) {
      assert.ok(
        step.successful > 0 && Number.isFinite(step.cpuMsPerCall) && step.cpuMsPerCall >= 0,
        JSON.stringify(step),
      );
    }
    for (const lat of [r.latency.callbin, r.latency.kamailio]) {
      assert.ok(lat.calls > 0 && Number.isFinite(lat.p50Ms) && Number.isFinite(lat.p99Ms), JSON.stringify(lat));
    }
    for (const ladder of [r.media.callbinRelay, r.media.kamailioRtpengine, r.media.callbinTalk]) {
      const level = ladder.levels[0]!;
      assert.equal(level.established, 3, JSON.stringify(level));
      assert.ok(
        level.packetsReceived > 0 && Number.isFinite(level.lossPct) && Number.isFinite(level.cpuPct),
        JSON.stringify(level),
      );
    }
    assert.ok(r.api.callbin.ok > 0 && r.api.baseline.ok > 0, JSON.stringify(r.api));
    assert.ok(r.memory.callbinIdleRssBytes > 0 && r.memory.callbinPeakRssBytes >= r.memory.callbinIdleRssBytes);
    assert.ok(r.webhooksReceived > 0, 'webhooks reached the local receiver');
    const files = await readdir(resultsDir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^calls-.*\.json$/);
    const written = JSON.parse(await readFile(join(resultsDir, files[0]!), 'utf8'));
    assert.equal(written.lines.length, r.lines.length);
    assert.deepEqual(leftovers(), [], 'every process the benchmark started is gone');
  } finally {
    await rm(resultsDir, { recursive: true, force: true });
  }
});
