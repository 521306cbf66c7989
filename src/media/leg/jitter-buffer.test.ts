import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JitterBuffer } from './jitter-buffer.ts';

const p = (n: number): Uint8Array => Uint8Array.of(n);
const label = (x: Uint8Array | null | undefined): number | null | undefined => (x ? (x[0] as number) : x);

test('jitter buffer: waits for the target depth, then plays packets in sequence order', () => {
  const jb = new JitterBuffer({ targetFrames: 3 });
  jb.push(65534, p(1));
  jb.push(65535, p(2));
  assert.equal(jb.pop(), undefined, 'still buffering');
  jb.push(1, p(4));
  assert.equal(label(jb.pop()), 1);
  jb.push(0, p(3));
  assert.deepEqual([jb.pop(), jb.pop(), jb.pop()].map(label), [2, 3, 4]);
  assert.equal(jb.stats.played, 4);
});

test('jitter buffer: drops late and duplicate packets and conceals a gap', () => {
  const jb = new JitterBuffer({ targetFrames: 2 });
  jb.push(10, p(10));
  jb.push(11, p(11));
  jb.push(11, p(99));
  assert.equal(label(jb.pop()), 10);
  jb.push(10, p(98));
  jb.push(13, p(13));
  assert.deepEqual([jb.pop(), jb.pop(), jb.pop()].map(label), [11, null, 13]);
  assert.deepEqual({ ...jb.stats }, { played: 3, concealed: 1, late: 1, duplicate: 1, skipped: 0 });
});

test('jitter buffer: too much lead skips the oldest frames; a long silence rebuffers', () => {
  const jb = new JitterBuffer({ targetFrames: 2, maxFrames: 4 });
  for (let s = 0; s < 7; s++) jb.push(s, p(s));
  assert.equal(jb.stats.skipped, 3);
  assert.deepEqual([jb.pop(), jb.pop(), jb.pop(), jb.pop()].map(label), [3, 4, 5, 6]);
  for (let i = 0; i < 4; i++) assert.equal(jb.pop(), null);
  assert.equal(jb.pop(), undefined, 'stream gone: back to buffering');
});
