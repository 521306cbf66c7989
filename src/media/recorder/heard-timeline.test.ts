import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeardTimeline, MAX_AHEAD_SAMPLES, PLACEMENT_WINDOW_SAMPLES, QUIET_HOLD_SAMPLES } from './heard-timeline.ts';

const FRAME = 160;
/** RTP timestamp of the first packet: near the 32-bit wrap, so placing across it is covered. */
const TS0 = 0xffffffff - 5 * FRAME;

/** Frame k of a known signal: every sample tells its frame and place (never silence). */
function frame(k: number): Int16Array {
  const out = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++) out[i] = 1 + ((k * 37 + i * 11) % 20000);
  return out;
}

/** A timeline whose sink keeps everything, driven like a recorder: one tick of 160 samples at a time. */
function harness(): {
  timeline: HeardTimeline;
  out: () => Int16Array;
  send: (k: number, ts?: number) => void;
  tick: (n?: number) => void;
  finish: () => Int16Array;
} {
  const runs: Int16Array[] = [];
  const timeline = new HeardTimeline((samples) => void runs.push(samples.slice()));
  let now = 0;
  const out = (): Int16Array => {
    const all = new Int16Array(runs.reduce((n, r) => n + r.length, 0));
    let at = 0;
    for (const r of runs) {
      all.set(r, at);
      at += r.length;
    }
    return all;
  };
  return {
    timeline,
    out,
    send: (k, ts = (TS0 + k * FRAME) >>> 0) => timeline.placePacket(frame(k), ts, now),
    tick: (n = 1) => {
      for (let i = 0; i < n; i++) {
        now += FRAME;
        timeline.advance(now);
      }
    },
    finish: () => {
      timeline.finish(now);
      return out();
    },
  };
}

function expected(frames: (number | null)[]): Int16Array {
  const all = new Int16Array(frames.length * FRAME);
  frames.forEach((k, i) => {
    if (k !== null) all.set(frame(k), i * FRAME);
  });
  return all;
}

function firstDifference(a: Int16Array, b: Int16Array): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i]) return `first difference at sample ${i} (frame ${Math.floor(i / FRAME)})`;
  return 'equal';
}

test('heard timeline: a burst of packets that came 120 ms late lands at their places, nothing shifted, dropped or repeated', () => {
  const h = harness();
  for (let k = 0; k < 10; k++) {
    h.send(k);
    h.tick();
  }
  // A stall: six ticks go by without a packet, then the six packets come at once.
  h.tick(6);
  for (let k = 10; k < 16; k++) h.send(k);
  for (let k = 16; k < 60; k++) {
    h.send(k);
    h.tick();
  }
  const got = h.finish();
  const want = expected(Array.from({ length: 60 }, (_, k) => k));
  assert.equal(got.length, want.length);
  assert.ok(
    got.every((x, i) => x === want[i]),
    firstDifference(got, want),
  );
  assert.deepEqual(h.timeline.stats, { placed: 60, late: 0, anchors: 1 });
});

test('heard timeline: a lost packet leaves silence at its place only; a reordered one is put back', () => {
  const h = harness();
  for (let k = 0; k < 30; k++) {
    if (k === 7) {
      h.tick();
      continue;
    }
    if (k === 12) continue; // 12 comes after 13
    h.send(k);
    if (k === 13) h.send(12);
    h.tick();
  }
  const got = h.finish();
  const want = expected(Array.from({ length: 30 }, (_, k) => (k === 7 ? null : k)));
  assert.ok(
    got.every((x, i) => x === want[i]),
    firstDifference(got, want),
  );
  assert.equal(got.length, want.length);
});

test('heard timeline: a packet older than the newest whose place is written is dropped; the rest stay in place', () => {
  const h = harness();
  for (let k = 0; k < 80; k++) {
    if (k !== 3) h.send(k);
    h.tick();
  }
  // Frame 3's place lies more than a window behind the clock: written as silence already.
  assert.ok(h.timeline.committed > 4 * FRAME);
  h.send(3);
  const got = h.finish();
  const want = expected(Array.from({ length: 80 }, (_, k) => (k === 3 ? null : k)));
  assert.ok(
    got.every((x, i) => x === want[i]),
    firstDifference(got, want),
  );
  assert.equal(h.timeline.stats.late, 1);
});

test('heard timeline: a sender stalled 600 ms (beyond the window) has its backlog placed by timestamp, no gap, burst or not', () => {
  const stallTicks = PLACEMENT_WINDOW_SAMPLES / FRAME + 20;
  for (const burst of [true, false]) {
    const h = harness();
    for (let k = 0; k < 10; k++) {
      h.send(k);
      h.tick();
    }
    h.tick(stallTicks);
    // The backlog at once, then on time; or every packet from then on as late as the stall.
    if (burst) for (let k = 10; k < 10 + stallTicks; k++) h.send(k);
    for (let k = burst ? 10 + stallTicks : 10; k < 60; k++) {
      h.send(k);
      h.tick();
    }
    const got = h.finish();
    const ticks = burst ? 60 : 60 + stallTicks;
    const want = expected(Array.from({ length: ticks }, (_, k) => (k < 60 ? k : null)));
    assert.ok(
      got.every((x, i) => x === want[i]),
      `burst ${burst}: ${firstDifference(got, want)}`,
    );
    assert.equal(got.length, want.length);
    assert.deepEqual(h.timeline.stats, { placed: 60, late: 0, anchors: 1 });
  }
});

test('heard timeline: an in-order stream late by more than the quiet hold goes on right after what is written, in order', () => {
  const h = harness();
  for (let k = 0; k < 10; k++) {
    h.send(k);
    h.tick();
  }
  const stallTicks = QUIET_HOLD_SAMPLES / FRAME + 20;
  h.tick(stallTicks);
  for (let k = 10; k < 20; k++) h.send(k);
  const got = h.finish();
  const gap = Array.from({ length: stallTicks }, () => null);
  const want = expected([
    ...Array.from({ length: 10 }, (_, k) => k),
    ...gap,
    ...Array.from({ length: 10 }, (_, k) => k + 10),
  ]);
  assert.ok(
    got.every((x, i) => x === want[i]),
    firstDifference(got, want),
  );
  assert.equal(got.length, want.length);
  assert.equal(h.timeline.stats.anchors, 2);
});

test('heard timeline: hostile timestamps never run the recording more than 2 s ahead of its clock', () => {
  const h = harness();
  let ts = 1000;
  for (let k = 0; k < 500; k++) {
    ts = (ts + (k % 2 ? 0x7fff0000 : 1_000_000)) >>> 0;
    h.send(k, ts);
    h.tick();
  }
  const ticked = 500 * FRAME;
  const got = h.finish();
  assert.ok(got.length <= ticked + MAX_AHEAD_SAMPLES + FRAME, `${got.length} samples for ${ticked} ticked`);
  // Every packet is kept, each after the one before.
  assert.equal(h.timeline.stats.placed, 500);
  let found = 0;
  for (let at = 0; at + FRAME <= got.length && found < 500; at += FRAME) {
    if (got[at] === frame(found)[0] && got[at + FRAME - 1] === frame(found)[FRAME - 1]) found++;
  }
  assert.equal(found, 500);
});
