import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntryStamps } from './entry-stamps.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit millisecond timestamp of a UUIDv7 (RFC 9562 §5.7). */
function msOf(id: string): number {
  return Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
}

describe('timeline entry stamps', () => {
  it('formats tm as Date.prototype.toISOString does, across days, months, leap days and years', () => {
    const stamps = new EntryStamps(Buffer.alloc(10));
    const points = [
      0,
      Date.UTC(2026, 2, 1, 12, 0, 0, 5),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 2, 1, 0, 0, 0, 0),
      Date.UTC(2025, 11, 31, 23, 59, 59, 999),
      Date.UTC(2026, 0, 1, 0, 0, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1, 0, 0, 0, 0),
    ];
    // A walk of uneven steps over four days, back and forth: the day and millisecond caches change.
    let ms = Date.UTC(2026, 5, 30, 22, 0, 0, 0);
    for (let i = 0; i < 5000; i++) {
      ms += (i * 7919) % 86_413;
      points.push(ms, ms, ms - 3_600_001);
    }
    for (const p of points) assert.equal(stamps.iso(p), new Date(p).toISOString(), `at ${p}`);
  });

  it('makes UUIDv7 ids of the time given, rising within a millisecond and across them, unique per process', () => {
    const seed = Buffer.from('01ffffffff0a0a0b0c0d', 'hex');
    const stamps = new EntryStamps(seed);
    const base = Date.UTC(2026, 2, 1, 12, 0, 0, 0);
    const ids: string[] = [];
    for (let i = 0; i < 3000; i++) ids.push(stamps.id(base + Math.floor(i / 100)));
    for (const [i, id] of ids.entries()) {
      assert.match(id, UUID_V7);
      assert.equal(msOf(id), base + Math.floor(i / 100));
      assert.ok(id.endsWith('0a0b0c0d'), 'the process value ends every id');
      if (i > 0) assert.ok(id > ids[i - 1]!, `${id} follows ${ids[i - 1]}`);
    }
    // The seed's counter (2^41 − 246) carries into rand_a after 246 ids and across 2^41, never repeating.
    assert.equal(new Set(ids).size, ids.length);
    const other = new EntryStamps(Buffer.from('01ffffffff0a01020304', 'hex'));
    const again = other.id(base);
    assert.notEqual(again, ids[0], 'another process at the same time and counter differs by its process value');
    assert.equal(again.slice(0, 24), ids[0]!.slice(0, 24));
  });
});
