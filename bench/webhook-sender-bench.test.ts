import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSenderBench } from './webhook-sender.ts';

test('bench/webhook-sender.ts reports CPU per request for callbin and both baselines (smoke, not speed)', async () => {
  const figures = await runSenderBench({ requests: 200, inflight: 4, rounds: 1 });
  assert.deepEqual(
    figures.map((f) => f.scenario),
    ['net.Socket, pre-built (floor)', 'bare undici dispatch()', 'WebhookSender.send()'],
  );
  for (const f of figures) {
    assert.equal(f.requests, 200);
    for (const v of [f.cpuUsPerRequest, f.requestsPerSec]) assert.ok(Number.isFinite(v) && v > 0, JSON.stringify(f));
  }
});
