import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutboundQueue } from './outbound-queue.ts';
import { PlayoutQueue } from './playout-queue.ts';

function ramp(from: number, length: number): Int16Array {
  return Int16Array.from({ length }, (_, i) => from + i);
}

function setup(maxQueuedMs?: number): { queue: PlayoutQueue; marks: string[]; read: () => Int16Array } {
  const marks: string[] = [];
  const queue = new PlayoutQueue({ onMark: (name) => marks.push(name), ...(maxQueuedMs ? { maxQueuedMs } : {}) });
  const read = (): Int16Array => {
    const frame = new Int16Array(160).fill(-1);
    assert.equal(queue.read(frame), true);
    return frame;
  };
  return { queue, marks, read };
}

test('playout: audio comes out in order across pushes of any size and blocks, silence after', () => {
  const { queue, read } = setup();
  let next = 0;
  // Sizes that cross frame and block boundaries.
  for (const n of [1, 159, 1000, 1601, 3, 2356]) {
    const chunk = ramp(next, n);
    assert.equal(queue.push(chunk), true);
    chunk.fill(0); // the queue keeps a copy
    next += n;
  }
  assert.equal(queue.queuedMs, next / 8);
  const out: number[] = [];
  for (let i = 0; i < next / 160; i++) out.push(...read());
  assert.deepEqual(out, [...ramp(0, next)]);
  assert.equal(queue.queuedMs, 0);
  assert.deepEqual([...read()], new Array(160).fill(0));
  // Pushing again after it ran dry continues normally.
  queue.push(ramp(5, 80));
  assert.deepEqual([...read()], [...ramp(5, 80), ...new Array(80).fill(0)]);
});

test('playout: a mark fires in the read that plays the last of the audio before it', () => {
  const { queue, marks, read } = setup();
  queue.push(new Int16Array(400)); // 2.5 frames
  queue.mark('a');
  queue.push(new Int16Array(160));
  queue.mark('b');
  queue.mark('c');
  read();
  assert.deepEqual(marks, []);
  read();
  assert.deepEqual(marks, []);
  read(); // plays samples 320..479: the end of the first 400
  assert.deepEqual(marks, ['a']);
  read(); // plays up to 640: past 560, the end of the second push
  assert.deepEqual(marks, ['a', 'b', 'c']);
  assert.equal(queue.pendingMarks, 0);
});

test('playout: a mark with nothing queued fires on the next read', () => {
  const { queue, marks, read } = setup();
  queue.mark('now');
  assert.deepEqual(marks, []);
  read();
  assert.deepEqual(marks, ['now']);
});

test('playout: clear drops the audio and returns the pending marks in order; they never fire', () => {
  const { queue, marks, read } = setup();
  queue.push(ramp(1, 800));
  queue.mark('x');
  queue.push(ramp(1, 800));
  queue.mark('y');
  read();
  assert.deepEqual(queue.clear(), ['x', 'y']);
  assert.equal(queue.queuedMs, 0);
  assert.deepEqual([...read()], new Array(160).fill(0));
  assert.deepEqual(marks, []);
  assert.deepEqual(queue.clear(), []);
});

test('playout: a listener may push and mark while hearing of a mark', () => {
  const heard: string[] = [];
  const queue: PlayoutQueue = new PlayoutQueue({
    onMark: (name) => {
      heard.push(name);
      if (name === 'first') queue.push(ramp(9, 10)) && queue.mark('second');
    },
  });
  queue.mark('first');
  const frame = new Int16Array(160);
  queue.read(frame);
  assert.deepEqual(heard, ['first']);
  assert.equal(queue.queuedMs, 10 / 8);
  queue.read(frame);
  assert.deepEqual([...frame.subarray(0, 10)], [...ramp(9, 10)]);
  assert.deepEqual(heard, ['first', 'second']);
  assert.equal(queue.pendingMarks, 0);
});

test('playout: the bounds refuse audio beyond maxQueuedMs and marks beyond maxMarks', () => {
  const { queue, read } = setup(1000);
  assert.equal(queue.push(new Int16Array(7000)), true);
  assert.equal(queue.push(new Int16Array(1001)), false);
  assert.equal(queue.queuedMs, 875);
  assert.equal(queue.push(new Int16Array(1000)), true);
  assert.equal(queue.queuedMs, 1000);
  read();
  assert.equal(queue.push(new Int16Array(160)), true);
  const marked = new PlayoutQueue({ onMark: () => {}, maxMarks: 3 });
  assert.deepEqual(
    [1, 2, 3, 4].map((i) => marked.mark(`m${i}`)),
    [true, true, true, false],
  );
});

test('playout: a bot streaming in real time behind a backlog is brought back to one frame, 20 ms a second; order kept', () => {
  const { queue, read } = setup();
  let next = 0;
  // Every sample of frame n is n: which frames were played, and in which order, shows in the output.
  const push = (frames: number) => {
    for (let f = 0; f < frames; f++) queue.push(new Int16Array(160).fill(next++));
  };
  push(3); // a hiccup left 60 ms waiting; from now on one frame arrives per frame played
  const played: number[] = [];
  for (let i = 0; i < 300; i++) {
    push(1);
    const frame = read();
    assert.ok(
      frame.every((v) => v === frame[0]),
      'whole frames are played',
    );
    played.push(frame[0]!);
  }
  assert.equal(queue.trimmedMs, 60);
  assert.equal(queue.queuedMs, 0, 'each frame is played at the read right after it arrived');
  for (let i = 1; i < played.length; i++) assert.ok(played[i]! > played[i - 1]!, `frame ${i} in order`);
  assert.equal(played.at(-1), next - 1);
  assert.equal(new Set(played).size + 3, next, 'three frames were skipped');
});

test('playout: the trim drops a quiet frame when one comes, a loud one only after half a second without', () => {
  const run = (loudness: (n: number) => number) => {
    const { queue, read } = setup();
    let next = 0;
    const push = () => queue.push(new Int16Array(160).fill(loudness(next++)));
    push();
    push();
    push();
    const played: number[] = [];
    for (let i = 0; i < 120; i++) {
      push();
      played.push(read()[0]!);
    }
    return { queue, played };
  };
  // Loud speech with one quiet frame (value 0) just after the first second: that one goes.
  const quietAt = 53;
  const mixed = run((n) => (n === quietAt ? 0 : 20_000 + n));
  assert.equal(mixed.queue.trimmedMs, 20);
  assert.ok(!mixed.played.includes(0), 'the quiet frame was the one dropped');
  // Loud all along: a frame goes once the half-second search ran out.
  const loud = run((n) => 20_000 + n);
  assert.equal(loud.queue.trimmedMs, 20);
});

test('playout: a bot sending faster than real time is not trimmed', () => {
  const { queue, read } = setup();
  let reads = 0;
  for (let i = 0; i < 300; i++) {
    queue.push(new Int16Array(i % 2 === 0 ? 320 : 160)); // 1.5 frames a frame
    read();
    reads++;
  }
  assert.equal(queue.trimmedMs, 0);
  assert.equal(queue.queuedMs, (300 * 240 - reads * 160) / 8);
});

test('playout: speech sent ahead in a burst is played whole, however deep the queue', () => {
  const { queue, read } = setup();
  const seconds = 10;
  queue.push(ramp(0, seconds * 8000));
  const out: number[] = [];
  for (let i = 0; i < seconds * 50; i++) out.push(...read());
  assert.equal(queue.trimmedMs, 0);
  assert.deepEqual(out, [...ramp(0, seconds * 8000)]);
});

test('outbound: sends while the socket has room, then keeps a bounded list dropping the oldest media', () => {
  const wire: string[] = [];
  const socket = { bufferedAmount: 0, send: (t: string) => wire.push(t) };
  const out = new OutboundQueue(socket, 100, 3);
  assert.equal(out.send('a', false), true);
  socket.bufferedAmount = 101;
  for (const t of ['m1', 'c1', 'm2', 'm3']) assert.equal(out.send(t, t.startsWith('m')), true);
  assert.equal(out.pending, 3);
  assert.equal(out.dropped, 1);
  assert.equal(out.send('c2', false), true); // drops m2
  assert.equal(out.send('c3', false), true); // drops m3
  assert.equal(out.dropped, 3);
  assert.equal(out.send('c4', false), false); // nothing left to drop
  socket.bufferedAmount = 0;
  out.flush();
  assert.deepEqual(wire, ['a', 'c1', 'c2', 'c3', 'c4']);
  assert.equal(out.sent, 5);
  assert.equal(out.pending, 0);
});
