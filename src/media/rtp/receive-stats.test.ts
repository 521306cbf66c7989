import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReceiveStats } from './receive-stats.ts';

/** Feeds sequence numbers at 20 ms steps with matching timestamps (no jitter); returns the stats. */
function feed(seqs: readonly number[], ssrc = 1): ReceiveStats {
  const s = new ReceiveStats();
  seqs.forEach((seq, i) => s.update(seq, seq * 160, 172, i * 20, 8000, ssrc));
  return s;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('ReceiveStats: loss after RFC 3550 A.1/A.3', () => {
  it('in order: expected = received, nothing lost', () => {
    const s = feed(range(0, 9));
    assert.deepEqual([s.expected, s.received, s.lost, s.duplicates, s.bytes], [10, 10, 0, 0, 1720]);
  });

  it('two gaps: 10 expected, 8 received, 2 lost; fraction lost 2/10 of 256', () => {
    const s = feed([0, 1, 2, 4, 5, 6, 8, 9]);
    assert.deepEqual([s.expected, s.received, s.lost], [10, 8, 2]);
    assert.equal(s.takeFractionLost(), Math.floor((2 * 256) / 10));
    // The next interval is measured from here: four more in order lose nothing.
    for (const seq of [10, 11, 12, 13]) s.update(seq, seq * 160, 172, 0, 8000, 1);
    assert.equal(s.takeFractionLost(), 0);
  });

  it('sequence wrap: 65533..2 with 65535 missing counts a cycle and one loss', () => {
    const s = feed([65533, 65534, 0, 1, 2]);
    assert.equal(s.extendedMaxSeq, 0x10000 + 2);
    assert.deepEqual([s.expected, s.lost], [6, 1]);
  });

  it('reordering is not loss: 1 2 4 3 5', () => {
    const s = feed([1, 2, 4, 3, 5]);
    assert.deepEqual([s.expected, s.received, s.lost, s.duplicates], [5, 5, 0, 0]);
  });

  it('reordering across the wrap: 65534 0 65535 1', () => {
    const s = feed([65534, 0, 65535, 1]);
    assert.deepEqual([s.expected, s.lost, s.extendedMaxSeq], [4, 0, 0x10001]);
  });

  it('duplicates are counted apart and do not hide a loss: 1 2 2 3 3 3 5', () => {
    const s = feed([1, 2, 2, 3, 3, 3, 5]);
    assert.deepEqual([s.received, s.duplicates, s.expected, s.lost], [7, 3, 5, 1]);
  });

  it('a late duplicate of a reordered packet: 1 2 5 3 3 4', () => {
    const s = feed([1, 2, 5, 3, 3, 4]);
    assert.deepEqual([s.duplicates, s.expected, s.lost], [1, 5, 0]);
  });

  it('every 20th packet dropped: 5 % lost', () => {
    const s = feed(range(0, 399).filter((seq) => seq % 20 !== 19));
    assert.deepEqual([s.expected, s.lost], [399, 19]);
    assert.equal(s.takeFractionLost(), Math.floor((19 * 256) / 399));
  });

  it('one packet far ahead is ignored; two in a row restart the run and keep the counts so far', () => {
    const one = feed([100, 101, 102, 40_000, 103]);
    assert.deepEqual([one.expected, one.lost, one.received], [4, 0, 5], 'a stray packet is not 39,900 losses');
    const s = feed([100, 101, 102, 40_000, 40_001, 40_002]);
    // First run 100-102 (3 expected), new run from 40001 (2 expected); the stray 40000 before it is not counted.
    assert.deepEqual([s.expected, s.lost, s.received], [5, 0, 6]);
  });

  it('a new SSRC starts a new run and keeps the old one', () => {
    const s = new ReceiveStats();
    for (const seq of [10, 11, 13]) s.update(seq, seq * 160, 172, 0, 8000, 1);
    for (const seq of [5000, 5001, 5002]) s.update(seq, seq * 160, 172, 0, 8000, 2);
    assert.deepEqual([s.expected, s.lost, s.received], [7, 1, 6]);
  });
});

describe('ReceiveStats: interarrival jitter after RFC 3550 A.8', () => {
  it('a steady stream has no jitter', () => {
    assert.equal(feed(range(0, 49)).jitter, 0);
  });

  it('one packet 10 ms late: J = 80/16 = 5, then 5 + (80 − 5)/16 = 9.6875 units (1.21 ms)', () => {
    const s = new ReceiveStats();
    s.update(0, 0, 172, 1000, 8000, 1);
    s.update(1, 160, 172, 1020, 8000, 1);
    assert.equal(s.jitter, 0);
    s.update(2, 320, 172, 1050, 8000, 1); // due at 1040
    assert.equal(s.jitter, 5);
    s.update(3, 480, 172, 1060, 8000, 1); // on time again: transit back by 80 units
    assert.equal(s.jitter, 9.6875);
  });

  it('the RTP timestamp wrapping at 2^32 is not a jump', () => {
    const s = new ReceiveStats();
    const base = 2 ** 32 - 320;
    for (let i = 0; i < 5; i++) s.update(i, (base + i * 160) >>> 0, 172, i * 20, 8000, 1);
    assert.equal(s.jitter, 0);
  });

  it('telephone-events (audio false) and duplicates leave the jitter alone', () => {
    const s = new ReceiveStats();
    s.update(0, 0, 172, 0, 8000, 1);
    s.update(1, 160, 172, 20, 8000, 1);
    // An event repeats its start timestamp 50 ms later; a duplicate comes 30 ms late.
    s.update(2, 160, 16, 70, 8000, 1, false);
    s.update(1, 160, 172, 50, 8000, 1);
    assert.equal(s.jitter, 0);
    assert.equal(s.duplicates, 1);
  });
});
