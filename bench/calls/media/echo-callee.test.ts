import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../test/support/sipp.ts';
import { RtpPeer } from '../rtp-peer.ts';
import { runSippClient } from '../sipp-run.ts';
import { startEchoCallee } from './echo-callee.ts';
import { udpDrops } from './load-probe.ts';

test("the benchmark callee answers with the RTP echo's port and every packet of every call comes back", async () => {
  const callee = await startEchoCallee({ port: await freePort('udp') });
  const peer = await RtpPeer.open(3, { mode: 'echo', sendMs: 1500 });
  const dir = await mkdtemp(join(tmpdir(), 'callbin-echo-callee-'));
  try {
    assert.equal(callee.pids.length, callee.media === 'c-echo' ? 2 : 1);
    const injection = join(dir, 'ports.csv');
    await writeFile(injection, peer.injectionCsv());
    const log = join(dir, 'media.log');
    const run = await runSippClient({
      scenario: 'uac-media.xml',
      target: { host: '127.0.0.1', port: callee.port },
      localPort: await freePort('udp'),
      service: 'echo',
      ratePerSec: 10,
      calls: 3,
      maxConcurrent: 3,
      pauseMs: 2000,
      extraArgs: ['-inf', injection, '-trace_logs', '-log_file', log],
      onStart: () => peer.follow(log),
      timeoutMs: 30_000,
    });
    assert.equal(run.stats.successful, 3, run.output.slice(-500));
    // The callers stopped sending 0.5 s before hanging up: every echo is in.
    const f = await peer.figures();
    assert.equal(f.calls, 3);
    assert.ok(f.whole.sent > 0 && f.whole.received === f.whole.sent, JSON.stringify(f));
    assert.deepEqual(
      udpDrops(callee.pids).map((d) => d > 0),
      callee.pids.map(() => false),
    );
  } finally {
    await peer.close();
    await callee.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
