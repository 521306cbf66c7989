import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JitterBuffer, type JitterBufferOptions } from './jitter-buffer.ts';

const p = (seq: number): Uint8Array => Uint8Array.of(seq >> 8, seq & 0xff);

/**
 * Plays a script: entry t lists the sequence numbers that arrive between tick t − 1 and tick t
 * (before tick t's pop). Returns what each tick played (its sequence number, `null` concealed,
 * `undefined` buffering) and the depth each pop found.
 */
function run(
  jb: JitterBuffer,
  script: readonly (readonly number[])[],
): { out: (number | null | undefined)[]; depth: number[] } {
  const out: (number | null | undefined)[] = [];
  const depth: number[] = [];
  for (const arrivals of script) {
    for (const seq of arrivals) jb.push(seq & 0xffff, p(seq & 0xffff));
    depth.push(jb.depth);
    const payload = jb.pop();
    out.push(payload ? ((payload[0] as number) << 8) | (payload[1] as number) : payload);
  }
  return { out, depth };
}

/** One packet per tick, `from` to `to` inclusive. */
const steady = (from: number, to: number): number[][] => Array.from({ length: to - from + 1 }, (_, i) => [from + i]);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const buffer = (o: JitterBufferOptions = {}): JitterBuffer => new JitterBuffer(o);

test('jitter buffer: a steady stream plays each packet on the first tick after it came, one frame deep', () => {
  const jb = buffer();
  const { out, depth } = run(jb, steady(0, 29));
  assert.deepEqual(out, range(0, 29));
  assert.deepEqual(depth, new Array(30).fill(1));
  assert.equal(jb.target, 1);
  assert.deepEqual(
    { ...jb.stats },
    { played: 30, concealed: 0, late: 0, duplicate: 0, skipped: 0, grown: 0, shrunk: 0 },
  );
});

test('jitter buffer: a packet late for its tick is not given up; the lead grows a frame and later jitter is absorbed', () => {
  const jb = buffer();
  // Packets 2, 5, 9 and 12 each come one tick late, together with the next one.
  const script = [[0], [1], [], [2, 3], [4], [], [5, 6], [7], [8], [], [9, 10], [11], [], [12, 13], [14], [15]];
  const { out, depth } = run(jb, script);
  assert.deepEqual(out, [0, 1, null, ...range(2, 14)]);
  assert.deepEqual(depth, [1, 1, 0, 2, 2, 1, 2, 2, 2, 1, 2, 2, 1, 2, 2, 2]);
  assert.equal(jb.target, 2);
  assert.deepEqual([jb.stats.concealed, jb.stats.grown, jb.stats.late, jb.stats.skipped], [1, 1, 0, 0]);
});

test('jitter buffer: bursts play out in order without a concealed tick; a burst a tick late deepens the lead', () => {
  const jb = buffer();
  // Four packets every four ticks; the third burst comes a tick late, the fourth on time again.
  const bursts = new Map([
    [0, range(0, 3)],
    [4, range(4, 7)],
    [9, range(8, 11)],
    [12, range(12, 15)],
    [16, range(16, 19)],
  ]);
  const { out, depth } = run(
    jb,
    Array.from({ length: 18 }, (_, t) => bursts.get(t) ?? []),
  );
  assert.deepEqual(out, [...range(0, 7), null, ...range(8, 16)]);
  assert.deepEqual(depth, [4, 3, 2, 1, 4, 3, 2, 1, 0, 4, 3, 2, 5, 4, 3, 2, 5, 4]);
  assert.equal(jb.target, 2);
  assert.equal(jb.stats.concealed, 1);
});

test('jitter buffer: reordering within a tick is undone; a packet reordered past its turn is dropped as late and buys a frame', () => {
  const jb = buffer();
  // 2 and 1 swap within a tick; 5 comes a tick after 6, past its turn; later 9/8 swap across ticks.
  const script = [[0], [2, 1], [], [3], [4], [6], [5, 7], [9], [8], [10], [11], [12]];
  const { out } = run(jb, script);
  assert.deepEqual(out, [0, 1, 2, 3, 4, null, null, 6, 7, 8, 9, 10]);
  assert.equal(jb.stats.late, 1, 'packet 5');
  assert.equal(jb.target, 2);
  const played = out.filter((x): x is number => typeof x === 'number');
  assert.deepEqual(
    played,
    [...played].sort((a, b) => a - b),
    'played in sequence order',
  );
});

test('jitter buffer: a lost packet is concealed once, whether its tick waited or later packets were there', () => {
  const jb = buffer();
  // 3 is lost: its tick waits (nothing buffered), then 4 plays on its own tick. 8 is lost behind 9.
  const { out } = run(jb, [[0], [1], [2], [], [4], [5], [6], [7], [9], [], [10], [11]]);
  assert.deepEqual(out, [0, 1, 2, null, 4, 5, 6, 7, null, 9, 10, 11]);
  assert.equal(jb.target, 1, 'a loss does not deepen the buffer');
  assert.deepEqual([jb.stats.concealed, jb.stats.late, jb.stats.grown], [2, 0, 0]);
});

test('jitter buffer: after a stall the lead shrinks one frame per steady stretch, back to one', () => {
  const jb = buffer({ shrinkTicks: 10 });
  // A 2-tick stall: 2 and 3 come together with 4, then the stream is steady.
  const { out, depth } = run(jb, [[0], [1], [], [], [2, 3, 4], ...steady(5, 40)]);
  assert.deepEqual(out.slice(0, 6), [0, 1, null, null, 2, 3]);
  assert.equal(jb.stats.grown, 2);
  assert.equal(jb.stats.shrunk, 2);
  assert.equal(jb.target, 1);
  assert.deepEqual(depth.slice(4, 16), [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2]);
  assert.equal(depth.at(-1), 1);
  // The two frames dropped to shrink, nothing else.
  const played = out.filter((x): x is number => typeof x === 'number');
  assert.deepEqual(range(0, 40).filter((s) => !played.includes(s)).length, 2);
  assert.equal(jb.stats.concealed, 2);
});

test('jitter buffer: the lead is bounded (200 ms by default): a big burst skips its oldest frames', () => {
  const jb = buffer();
  const { out, depth } = run(jb, [range(0, 14), [], []]);
  assert.equal(jb.stats.skipped, 5);
  assert.deepEqual(out, [5, 6, 7]);
  assert.deepEqual(depth, [10, 9, 8]);
});

test('jitter buffer: drops duplicates, also of packets already played, without deepening', () => {
  const jb = buffer();
  const { out } = run(jb, [[10, 10], [11, 10], [12, 11], [13]]);
  assert.deepEqual(out, [10, 11, 12, 13]);
  assert.deepEqual([jb.stats.duplicate, jb.stats.late, jb.target], [3, 0, 1]);
});

test('jitter buffer: a long silence rebuffers; the stream resumes on the first tick, across a gap of sequence numbers', () => {
  const jb = buffer();
  const silence: number[][] = new Array(12).fill([]);
  const { out } = run(jb, [[0], [1], ...silence, [9], [10]]);
  assert.deepEqual(out, [0, 1, ...new Array(10).fill(null), undefined, undefined, 9, 10]);
  assert.equal(jb.stats.late, 0);
});

test('jitter buffer: a stream restart (sequence numbers far away) starts shallow again; sequence numbers wrap', () => {
  const jb = buffer();
  run(jb, [[65533], [], [], [65534, 65535, 0], [1]]);
  assert.equal(jb.target, 3);
  const { out, depth } = run(jb, [[2], [40000], [40001], [40002]]);
  assert.deepEqual(out, [0, 40000, 40001, 40002]);
  assert.deepEqual(depth, [3, 1, 1, 1]);
  assert.equal(jb.target, 1);
});

test('jitter buffer: a shrink waits for a frame it may drop (a quiet one), and drops any after ten steady stretches', () => {
  const quiet = buffer({ shrinkTicks: 5, droppable: (payload) => payload[1] === 30 });
  const { out } = run(quiet, [[0], [], [1, 2], ...steady(3, 40)]);
  assert.deepEqual(
    out.filter((x) => typeof x === 'number'),
    range(0, 40).filter((s) => s !== 30),
  );
  assert.deepEqual([quiet.stats.shrunk, quiet.target], [1, 1]);
  const loud = buffer({ shrinkTicks: 5, droppable: () => false });
  run(loud, [[0], [], [1, 2], ...steady(3, 50)]);
  assert.equal(loud.stats.shrunk, 0);
  run(loud, [[51]]);
  assert.deepEqual([loud.stats.shrunk, loud.depth], [1, 0]);
});

test('jitter buffer: a jump in sequence numbers past the bound plays on the next tick, skipping what is older than the bound', () => {
  const jb = buffer();
  const { out } = run(jb, [[0], [1], [100], [101], [102, 150], [151]]);
  assert.deepEqual(out, [0, 1, 100, 101, 150, 151]);
  assert.equal(jb.depth, 0);
  assert.deepEqual([jb.stats.skipped, jb.stats.concealed, jb.stats.late], [1, 0, 0]);
});
