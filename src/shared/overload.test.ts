import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './clock.ts';
import type { Clock } from './clock.ts';
import { LagSampler, LoopLoad, OverloadGuard, isRefusal } from './overload.ts';
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
    assert.deepEqual(guard.refused(), { setups: 1, lag: 0, busy: 0, draining: 0 });
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
    assert.deepEqual(guard.refused(), { setups: 0, lag: 2, busy: 0, draining: 0 });
    assert.match(guard.metricsText(), /callbin_calls_refused_overload_total\{reason="lag"\} 2\n/);
    lag = 0;
    admitted(guard.admit());
  });

  it('a lag threshold of 0 turns the lag check off', () => {
    const guard = new OverloadGuard({ maxSetups: 1, lagThresholdMs: 0, lagMs: () => 10_000 });
    admitted(guard.admit());
  });

  it('draining refuses every new set-up with reason draining, whatever the load, and keeps those admitted', () => {
    const guard = new OverloadGuard({ maxSetups: 10, lagThresholdMs: 0, retryAfterSec: 3 });
    const before = admitted(guard.admit());
    assert.equal(guard.draining, false);
    assert.match(guard.metricsText(), /callbin_node_draining 0\n/);
    guard.startDraining();
    assert.equal(guard.draining, true);
    assert.deepEqual(guard.check(), { reason: 'draining', retryAfterSec: 3 });
    assert.deepEqual(guard.admit(), { reason: 'draining', retryAfterSec: 3 });
    assert.deepEqual(guard.refuse(), { reason: 'draining', retryAfterSec: 3 });
    assert.equal(guard.setups, 1, 'the set-up admitted before goes on');
    before.release();
    assert.ok(isRefusal(guard.admit()), 'a release makes no room while draining');
    assert.deepEqual(guard.refused(), { setups: 0, lag: 0, busy: 0, draining: 3 });
    assert.match(guard.metricsText(), /callbin_calls_refused_overload_total\{reason="draining"\} 3\n/);
    assert.match(guard.metricsText(), /callbin_node_draining 1\n/);
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

/** A LoopLoad on a FakeClock whose loop is as busy as the test says, window by window or for `ms`. */
function scriptedLoad(): {
  clock: FakeClock;
  load: LoopLoad;
  window(utilisation: number): void;
  busy(ms: number, utilisation: number): void;
} {
  const clock = new FakeClock();
  const times = { active: 0, idle: 0 };
  const load = new LoopLoad({ clock, intervalMs: 100, times: () => ({ ...times }) }).start();
  const busy = (ms: number, utilisation: number): void => {
    times.active += ms * utilisation;
    times.idle += ms * (1 - utilisation);
    clock.advance(ms);
  };
  return { clock, load, window: (utilisation) => busy(100, utilisation), busy };
}

/** Offer `n` set-ups (each released at once, as a quick answer would) and count the admitted ones. */
function offer(guard: OverloadGuard, n: number): number {
  let admitted = 0;
  for (let i = 0; i < n; i++) {
    const result = guard.admit();
    if (isRefusal(result)) continue;
    admitted++;
    result.release();
  }
  return admitted;
}

describe('LoopLoad', () => {
  it('tells each window the share of its time the loop worked', () => {
    const { clock, load, window } = scriptedLoad();
    const seen: number[] = [];
    load.on('window', (u) => seen.push(u));
    window(0.25);
    window(1);
    assert.deepEqual(seen, [0.25, 1]);
    assert.equal(load.utilisation(), 1);
    load.stop();
    assert.equal(clock.pending, 0);
  });
});

describe('OverloadGuard: the admitted share while the loop is too busy', () => {
  it('cuts the share per busy window with calls arriving, admits that share evenly, and grows it back when calm', () => {
    const { load, window } = scriptedLoad();
    const guard = new OverloadGuard({ maxSetups: 1000, lagThresholdMs: 0, load, maxUtilisation: 0.9 });
    assert.equal(offer(guard, 10), 10);
    window(0.95);
    assert.equal(guard.share, 1, 'a first busy window only raises the pressure (webhook delivery gives way)');
    assert.equal(guard.pressure(), true);
    assert.equal(offer(guard, 10), 10);
    window(0.95);
    assert.equal(guard.share, 0.7, 'still too busy with that work held back: the share is cut');
    assert.equal(offer(guard, 10), 7);
    window(0.95);
    assert.equal(guard.share, 0.49);
    // 0.49 of each arrival's admission: 49 of 100, refused 503 'busy' in between, not all at the start or end.
    assert.equal(guard.check()?.reason, 'busy', 'check() neither counts nor takes a share');
    const first = offer(guard, 10);
    assert.ok(first >= 4 && first <= 5, `first ten: ${first}`);
    assert.equal(first + offer(guard, 90), 49);
    assert.equal(guard.refused().busy, 3 + 51);
    assert.match(guard.metricsText(), /callbin_calls_refused_overload_total\{reason="busy"\} 54\n/);
    assert.match(guard.metricsText(), /callbin_call_admission_share 0\.490\n/);
    for (let i = 0; i < 5; i++) window(0.5);
    assert.equal(guard.share, 0.99);
    window(0.5);
    assert.equal(guard.share, 1);
    assert.equal(offer(guard, 10), 10);
  });

  it('a busy loop with few calls arriving cuts nothing, nor does a maxUtilisation of 0', () => {
    const { load, window } = scriptedLoad();
    const few = new OverloadGuard({ maxSetups: 1000, lagThresholdMs: 0, load, maxUtilisation: 0.9, minArrivals: 5 });
    const off = new OverloadGuard({ maxSetups: 1000, lagThresholdMs: 0, load, maxUtilisation: 0 });
    offer(few, 4);
    offer(off, 50);
    window(1);
    assert.equal(few.share, 1);
    assert.equal(off.share, 1);
    assert.equal(offer(few, 10), 10);
    assert.equal(offer(off, 10), 10);
  });

  it('at the onset of a flood, cuts as soon as 10 arrivals find the latest 20 ms over the bound', () => {
    const { load, busy } = scriptedLoad();
    const guard = new OverloadGuard({ maxUtilisation: 0.9, maxSetups: 1000, lagThresholdMs: 0, load });
    const windows: number[] = [];
    load.on('window', (u) => windows.push(u));
    busy(50, 0);
    assert.equal(offer(guard, 10), 10, 'a quiet start: a new span begins');
    busy(10, 1);
    assert.equal(offer(guard, 10), 10, 'a window 10 ms old is too young to judge');
    busy(15, 1);
    assert.equal(offer(guard, 9), 9);
    assert.deepEqual(windows, []);
    assert.equal(offer(guard, 10), 10, 'the 20th arrival ended the window over the bound: the pressure goes up first');
    assert.deepEqual(windows, [1]);
    assert.equal(guard.share, 1);
    assert.equal(guard.pressure(), true);
    busy(20, 1);
    offer(guard, 10);
    assert.deepEqual(windows, [1, 1], 'the 10th arrival after 20 ms over the bound ended the next window');
    assert.equal(guard.share, 0.7, 'still over the bound with deferrable work held back: cut');
    busy(30, 0.5);
    assert.equal(offer(guard, 10), 7, 'a window under the bound runs its full length');
    assert.deepEqual(windows, [1, 1]);
  });

  it('never admits less than 5 %', () => {
    const { load, window } = scriptedLoad();
    const guard = new OverloadGuard({ maxSetups: 1000, lagThresholdMs: 0, load, maxUtilisation: 0.9 });
    for (let i = 0; i < 20; i++) {
      offer(guard, 10);
      window(1);
    }
    assert.equal(guard.share, 0.05);
    assert.equal(offer(guard, 100), 5);
  });
});

describe('OverloadGuard.pressure', () => {
  it('is on from a window near the busy threshold with calls arriving until a calm window, telling each change', () => {
    const { load, window } = scriptedLoad();
    const guard = new OverloadGuard({ maxSetups: 1000, lagThresholdMs: 0, load, maxUtilisation: 0.9 });
    const told: boolean[] = [];
    guard.on('pressure', (on) => told.push(on));
    assert.equal(guard.pressure(), false);
    offer(guard, 10);
    window(0.85); // within 0.1 of 0.9: the share is not cut yet, but set-ups need the loop
    assert.equal(guard.share, 1);
    assert.equal(guard.pressure(), true);
    offer(guard, 10);
    window(0.85);
    window(0.5);
    assert.equal(guard.pressure(), false);
    assert.deepEqual(told, [true, false]);
  });

  it('stays on while the share is cut, and with set-ups at 80 % of maxSetups', () => {
    const { load, window } = scriptedLoad();
    let outgoing = 0;
    const guard = new OverloadGuard({
      maxSetups: 10,
      lagThresholdMs: 0,
      load,
      maxUtilisation: 0.9,
      otherSetups: () => outgoing,
    });
    offer(guard, 10);
    window(1);
    offer(guard, 10);
    window(1);
    assert.ok(guard.share < 1);
    window(0.1);
    window(0.1);
    assert.equal(guard.pressure(), true, 'share still cut');
    window(0.1);
    assert.equal(guard.share, 1);
    assert.equal(guard.pressure(), false);
    outgoing = 7;
    admitted(guard.admit());
    window(0);
    assert.equal(guard.pressure(), true, '8 of 10 set-ups');
    outgoing = 0;
    window(0);
    assert.equal(guard.pressure(), false);
  });
});
