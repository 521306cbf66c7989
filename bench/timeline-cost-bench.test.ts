import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCallsArgs } from './calls.ts';
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
    .filter((cmd) => /sipp|taskset|cli\/main\.ts/.test(cmd));
}

test('--scenario timeline and its knobs are read from the command line; the default scenarios leave it out', () => {
  const o = parseCallsArgs([
    '--scenario',
    'timeline',
    '--timeline-rate',
    '30',
    '--timeline-seconds',
    '4',
    '--timeline-rounds',
    '3',
  ]);
  assert.deepEqual(o.scenarios, ['timeline']);
  assert.deepEqual([o.timelineRatePerSec, o.timelineSeconds, o.timelineRounds], [30, 4, 3]);
  assert.ok(!FULL_OPTIONS.scenarios.includes('timeline'), 'it starts two servers of its own: asked for only');
});

test('bench smoke: the timeline scenario runs the same calls against callbin with the timeline on and off and prints both and the ratio (shape, not speed)', {
  timeout: 170_000,
}, async () => {
  const resultsDir = await mkdtemp(join(tmpdir(), 'callbin-bench-results-'));
  try {
    const r = await runCallsBench({
      ...FULL_OPTIONS,
      scenarios: ['timeline'],
      timelineRatePerSec: 5,
      timelineSeconds: 2,
      timelineRounds: 1,
      resultsDir,
      install: false,
    });
    const t = r.timeline;
    assert.ok(t, 'the timeline scenario ran');
    for (const side of [t.on, t.off]) {
      const what = JSON.stringify({ ...side, steps: undefined });
      assert.equal(side.calls, 10, what);
      assert.equal(side.successful, side.calls, what);
      assert.ok(Number.isFinite(side.cpuMsPerCall) && side.cpuMsPerCall > 0, what);
    }
    assert.notEqual(t.on.pid, t.off.pid, 'two servers');
    assert.ok(t.on.entriesOfACall > 0, `a call of the server with the timeline on has entries: ${t.on.entriesOfACall}`);
    assert.equal(t.off.entriesOfACall, 0, 'a call of the server with the timeline off has none');
    assert.ok(Number.isFinite(t.ratio) && t.ratio > 0, String(t.ratio));
    assert.equal(Math.round((t.ratio - 1) * 1e9), Math.round((t.overheadPct / 100) * 1e9));
    const printed = r.lines.find((l) => l.baselineName === 'timeline off');
    assert.ok(printed, 'the result line');
    assert.equal(printed.callbin, t.on.cpuMsPerCall);
    assert.equal(printed.baseline, t.off.cpuMsPerCall);
    assert.match(printed.note ?? '', /% limit/);
    assert.ok(r.webhooksReceived > 0, 'webhooks reached the local receiver');
    const files = await readdir(resultsDir);
    assert.equal(files.length, 1);
    const written = JSON.parse(await readFile(join(resultsDir, files[0]!), 'utf8'));
    assert.equal(written.timeline.on.successful, t.on.successful);
    assert.deepEqual(leftovers(), [], 'every process the benchmark started is gone');
  } finally {
    await rm(resultsDir, { recursive: true, force: true });
  }
});
