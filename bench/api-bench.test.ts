import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runApiBench } from './api.ts';

test('bench/api.ts runs and reports finite figures for both scenarios (smoke, not speed)', async () => {
  const results = await runApiBench({ durationMs: 300, concurrency: 4 });
  assert.equal(results.length, 2);
  for (const r of results) {
    assert.ok(Number.isFinite(r.rps) && r.rps > 0, JSON.stringify(r));
    assert.ok(Number.isFinite(r.baselineRps) && r.baselineRps > 0);
    assert.equal(r.failed, 0);
  }
});
