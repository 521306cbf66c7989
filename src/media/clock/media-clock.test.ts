import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, type Clock } from '../../shared/index.ts';
import { MediaClock } from './media-clock.ts';

test('media clock: ticks exactly at 20 ms multiples of the start time on a FakeClock', () => {
  const clock = new FakeClock();
  const start = clock.now();
  const mc = new MediaClock({ clock });
  const at: number[] = [];
  mc.addListener((tick) => at.push((clock.now() - start) / 20 - tick));
  mc.start();
  clock.advance(19);
  assert.equal(mc.tickCount, 0);
  clock.advance(1000 - 19);
  assert.equal(mc.tickCount, 50);
  assert.ok(
    at.every((x) => x === 1),
    'tick n fires at (n + 1) × 20 ms',
  );
  mc.close();
  assert.equal(clock.pending, 0);
});

test('media clock: a late timer does not accumulate drift (the next tick is scheduled against the start)', () => {
  const fake = new FakeClock();
  const lateBy7: Clock = {
    now: () => fake.now(),
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms + 7),
    clearTimeout: (h) => fake.clearTimeout(h),
  };
  const start = fake.now();
  const mc = new MediaClock({ clock: lateBy7 });
  const fired: number[] = [];
  mc.addListener(() => fired.push(fake.now() - start));
  mc.start();
  fake.advance(2000);
  // Every timer fires 7 ms late, yet tick n still fires within 7 ms of (n + 1) × 20 ms.
  assert.equal(fired.length, 99);
  fired.forEach((t, n) => assert.ok(t - (n + 1) * 20 <= 7 && t >= (n + 1) * 20, `tick ${n} at ${t}`));
  mc.close();
});

test('media clock: after a stall it catches up a few ticks and skips the rest', () => {
  const fake = new FakeClock();
  let stalledMs = 0;
  const clock: Clock = {
    now: () => fake.now() + stalledMs,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (h) => fake.clearTimeout(h),
  };
  const mc = new MediaClock({ clock, maxCatchUpTicks: 3 });
  const ticks: number[] = [];
  mc.addListener((tick) => ticks.push(tick));
  mc.start();
  fake.advance(20);
  // The event loop was blocked for 200 ms: the next timer finds the clock 11 ticks behind.
  stalledMs = 200;
  fake.advance(20);
  assert.deepEqual(ticks, [0, 9, 10, 11]);
  assert.equal(mc.tickCount, 12);
  mc.close();
  assert.throws(() => mc.start(), { code: 'MEDIA_CLOCK_CLOSED' });
});
