import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './clock.ts';
import type { Clock } from './clock.ts';
import { LagSampler, OverloadGuard, isRefusal } from './overload.ts';
import type { Admission, OverloadRefusal } from './overload.ts';

function admitted(result: Admission | OverloadRefusal): Admission {
  assert.ok(!isRefusal(result), 'admitted');
  return result;
}

/** A FakeClock whose loop can "stall": `stall(ms)` moves the time read by now() on without firing timers, so the next one fires late. */
class StallingClock implements Clock {
  readonly fake = new FakeClock();
  #skew = 0;
  now(): number {
    return this.fake.now() + this.#skew;
  }
  setTimeout(fn: () => void, ms: number) {
    return this.fake.setTimeout(fn, ms);
  }
  clearTimeout(handle: Parameters<Clock['clearTimeout']>[0]): void {
    this.fake.clearTimeout(handle);
  }
  stall(ms: number): void {
    this.#skew += ms;
  }
}

describe('OverloadGuard', () => {
  it('admits up to maxSetups, refuses the next with Retry-After, and admits again after a release', () => {
    const guard = new OverloadGuard({ maxSetups: 2, lagThresholdMs: 0 });
    const a = admitted(guard.admit());
    admitted(guard.admit());
    const refusal = guard.admit();
    assert.ok(isRefusal(refusal));
    assert.deepEqual(refusal, { reason: 'setups', retryAfterSec: 2 });
    assert.equal(guard.setups, 2);
    a.release();
    a.release(); // idempotent
    assert.equal(guard.setups, 1);
    admitted(guard.admit());
    assert.deepEqual(guard.refused(), { setups: 1, lag: 0 });
  });

  it('counts set-ups made elsewhere (outgoing calls) against the same capacity', () => {
    let outgoing = 3;
    const guard = new OverloadGuard({ maxSetups: 4, lagThresholdMs: 0, otherSetups: () => outgoing });
    admitted(guard.admit());
    assert.equal(guard.check()?.reason, 'setups');
    outgoing = 2;
    assert.equal(guard.check(), undefined);
  });

  it('refuses while the event loop lags over the threshold; check() does not count, refuse() does', () => {
    let lag = 0;
    const guard = new OverloadGuard({ maxSetups: 100, lagThresholdMs: 100, lagMs: () => lag, retryAfterSec: 5 });
    assert.equal(guard.check(), undefined);
    lag = 150;
    assert.deepEqual(guard.check(), { reason: 'lag', retryAfterSec: 5 });
    assert.deepEqual(guard.refuse(), { reason: 'lag', retryAfterSec: 5 });
    assert.ok(isRefusal(guard.admit()));
    assert.deepEqual(guard.refused(), { setups: 0, lag: 2 });
    assert.match(guard.metricsText(), /callbin_calls_refused_overload_total\{reason="lag"\} 2\n/);
    lag = 0;
    admitted(guard.admit());
  });

  it('a lag threshold of 0 turns the lag check off', () => {
    const guard = new OverloadGuard({ maxSetups: 1, lagThresholdMs: 0, lagMs: () => 10_000 });
    admitted(guard.admit());
  });
});

describe('LagSampler', () => {
  it('reads 0 on a punctual loop', () => {
    const clock = new StallingClock();
    const sampler = new LagSampler({ clock, intervalMs: 20, ticks: 5 }).start();
    clock.fake.advance(1_000);
    assert.equal(sampler.lagMs(), 0);
    sampler.stop();
    assert.equal(clock.fake.pending, 0);
  });

  it('ignores one long stall (the ticks after it are on time) but shows a loop late on every tick', () => {
    const clock = new StallingClock();
    const sampler = new LagSampler({ clock, intervalMs: 20, ticks: 5 }).start();
    clock.fake.advance(100);
    clock.stall(600); // blocked once for 600 ms
    clock.fake.advance(1_000);
    assert.equal(sampler.lagMs(), 0);
    // Saturated: every tick fires 150 ms late.
    for (let t = 0; t < 4; t++) {
      clock.stall(150);
      clock.fake.advance(20);
    }
    assert.equal(sampler.lagMs(), 0, 'four late ticks are not yet saturation');
    clock.stall(150);
    clock.fake.advance(20);
    assert.equal(sampler.lagMs(), 150);
    clock.fake.advance(20);
    assert.equal(sampler.lagMs(), 0, 'on time again');
    sampler.stop();
  });
});
