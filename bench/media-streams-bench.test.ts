import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LatencyFigures } from './media-streams/latency.ts';
import type { StreamsBenchResult } from './media-streams/run.ts';

const script = fileURLToPath(new URL('./media-streams.ts', import.meta.url));

/** Runs `npm run bench:streams` with `args`; resolves with its exit code and output. */
function runBench(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

function assertLatency(l: LatencyFigures, what: string): void {
  assert.ok(l.count > 0 && l.p50Ms >= 0 && l.p50Ms <= l.p99Ms && l.p99Ms <= l.maxMs, `${what}: ${JSON.stringify(l)}`);
}

test('bench smoke: 3 calls streamed to the echo bot beside 3 calls through `echo`; the table and the JSON line (shape, not speed)', {
  timeout: 120_000,
}, async () => {
  const { code, out } = await runBench(['--calls', '3', '--seconds', '5']);
  assert.equal(code, 0, out);
  assert.match(out, /^\| scenario \| calls up \|/m, 'the table is printed');
  const line = out
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  assert.ok(line, `a JSON line: ${out}`);
  const r = JSON.parse(line) as StreamsBenchResult;
  assert.equal(r.bench, 'media-streams');
  assert.equal(r.calls, 3);
  for (const s of [r.echo, r.stream]) {
    const what = JSON.stringify(s);
    assert.equal(s.established, 3, what);
    assert.equal(s.failed, 0, what);
    assert.ok(s.windowSec > 0 && s.serverCpuPct > 0 && s.cpuMsPerCallSecond > 0, what);
    assert.ok(s.framesSent > 0 && s.framesBack > 0 && s.framesBack <= s.framesSent, what);
    assert.ok(s.roundTripLossPct >= 0 && s.roundTripLossPct <= 100, what);
    assertLatency(s.roundTrip, `${s.scenario} round trip`);
  }
  const s = r.stream;
  assertLatency(s.toBot, 'caller → bot');
  assertLatency(s.fromBot, 'bot → caller');
  assert.ok(Number.isFinite(r.cpuRatio) && r.cpuRatio > 0, String(r.cpuRatio));
  // What the bot checked of callbin's side of the protocol.
  assert.equal(s.streamsStarted, 3, JSON.stringify(s));
  assert.deepEqual(s.stopReasons, { hangup: 3 });
  assert.deepEqual(s.signatures, { valid: 3, invalid: 0, missing: 0 });
  assert.equal(s.anomalies, 0, s.firstAnomaly);
  assert.ok(s.droppedOutbound >= 0 && s.inboundMissing >= 0 && s.echoedMissing >= 0, JSON.stringify(s));
});
