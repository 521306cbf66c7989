import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outcomeOfStatus, retryDelayMs } from './retry-policy.ts';

describe('retry policy', () => {
  it('backs off 1 s, 2 s, 4 s … and caps at one hour', () => {
    const mid = () => 0.5;
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => retryDelayMs(n, { random: mid })),
      [1000, 2000, 4000, 8000, 16000],
    );
    assert.equal(retryDelayMs(13, { random: mid }), 3_600_000);
    assert.equal(retryDelayMs(40, { random: () => 0.999 }), 3_600_000);
  });

  it('jitters within ±20 %', () => {
    assert.equal(retryDelayMs(3, { random: () => 0 }), 3200);
    assert.equal(retryDelayMs(3, { random: () => 0.999999 }), 4800);
    const seen = new Set(Array.from({ length: 50 }, () => retryDelayMs(3)));
    assert.ok(seen.size > 1, 'the default random source varies the delay');
    for (const d of seen) assert.ok(d >= 3200 && d <= 4800);
  });

  it('honours a longer Retry-After, still capped', () => {
    assert.equal(retryDelayMs(1, { random: () => 0.5, retryAfterSec: 30 }), 30_000);
    assert.equal(retryDelayMs(1, { random: () => 0.5, retryAfterSec: 99_999 }), 3_600_000);
  });

  it('2xx delivers; 408, 429 and 5xx retry; other answers fail for good', () => {
    for (const s of [200, 201, 204, 299]) assert.equal(outcomeOfStatus(s), 'delivered');
    for (const s of [408, 429, 500, 502, 503, 504]) assert.equal(outcomeOfStatus(s), 'retry');
    for (const s of [400, 401, 403, 404, 410, 422, 301]) assert.equal(outcomeOfStatus(s), 'failed');
  });
});
