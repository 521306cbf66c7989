import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWebhookBench } from './webhooks.ts';

test('bench/webhooks.ts reports finite throughput and latency for callbin and the undici baseline (smoke, not speed)', async () => {
  const r = await runWebhookBench({ events: 100, resources: 10, concurrency: 4, singles: 10 });
  for (const f of [r.baseline, r.callbin]) {
    assert.equal(f.events, 100, JSON.stringify(f));
    for (const v of [f.eventsPerSec, f.cpuUsPerEvent, f.p50Ms, f.p99Ms, f.singleP50Ms, f.singleP99Ms])
      assert.ok(Number.isFinite(v) && v >= 0, JSON.stringify(f));
  }
});
