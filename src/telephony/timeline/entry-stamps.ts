/**
 * Ids and times of timeline entries, made when a batch is written (docs/timeline.md "Entries").
 *
 * `tm` is RFC 3339 with milliseconds, formatted once per distinct millisecond (the entries of a batch
 * share many) from a per-day prefix. `id` is a UUID version 7 (RFC 9562 §5.7) whose random bits are
 * a counter and a process value, both seeded from random bytes once (RFC 9562 §6.2, method 1: a
 * fixed-length counter in `rand_a` and the start of `rand_b`): ids are unique within the process
 * (the counter never repeats before 2^41 entries), time-ordered, and unique across restarts through
 * the timestamp and the 32 random bits of the process value.
 */
import { randomBytes } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const DAY_MS = 86_400_000;
const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** The counter's span: 12 bits of `rand_a` and the first 30 of `rand_b`. */
const COUNTER_SPAN = 2 ** 42;

function hex4(v: number): string {
  return HEX[(v >>> 8) & 0xff]! + HEX[v & 0xff]!;
}

/** Makes the `id` and `tm` of entries; one per recorder. */
export class EntryStamps {
  #counter: number;
  /** The last 8 hex digits of every id of this process (32 random bits). */
  readonly #processHex: string;
  #dayStart = Number.NaN;
  #dayPrefix = '';
  #isoMs = Number.NaN;
  #iso = '';
  #idMs = Number.NaN;
  #idPrefix = '';

  /** `seed`: 10 bytes (random by default); the first six start the counter, the last four are the process value. */
  constructor(seed: Buffer = randomBytes(10)) {
    // A random start in the lower half of the span (41 bits) leaves 2^41 ids before the counter wraps.
    this.#counter = (seed[0]! & 0x01) * 2 ** 40 + seed[1]! * 2 ** 32 + seed.readUInt32BE(2);
    this.#processHex = HEX[seed[6]!]! + HEX[seed[7]!]! + HEX[seed[8]!]! + HEX[seed[9]!]!;
  }

  /** RFC 3339 UTC with milliseconds (`2026-03-01T12:00:00.005Z`), as `Date.prototype.toISOString`. */
  iso(ms: number): string {
    if (ms === this.#isoMs) return this.#iso;
    const dayStart = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
    if (dayStart !== this.#dayStart) {
      const date = new Date(dayStart).toISOString();
      // Years outside 0000–9999 are written in the extended form; leave them to Date.
      if (date.length !== 24) return new Date(ms).toISOString();
      this.#dayStart = dayStart;
      this.#dayPrefix = date.slice(0, 11);
    }
    let r = ms - dayStart;
    const msPart = r % 1000;
    r = (r - msPart) / 1000;
    const s = r % 60;
    r = (r - s) / 60;
    const m = r % 60;
    const h = (r - m) / 60;
    this.#isoMs = ms;
    this.#iso = `${this.#dayPrefix}${TWO[h]}:${TWO[m]}:${TWO[s]}.${THREE[msPart]}Z`;
    return this.#iso;
  }

  /** A fresh UUIDv7 of `ms`: time-ordered, and ordered by creation within a millisecond. */
  id(ms: number): string {
    const t = Math.max(0, Math.floor(ms));
    if (t !== this.#idMs) {
      const high = Math.floor(t / 2 ** 16);
      this.#idMs = t;
      this.#idPrefix = `${hex4(high >>> 16)}${hex4(high & 0xffff)}-${hex4(t & 0xffff)}-7`;
    }
    const c = this.#counter;
    this.#counter = (c + 1) % COUNTER_SPAN;
    const randA = Math.floor(c / 2 ** 30);
    const low30 = c % 2 ** 30;
    // rand_a: 12 bits; then the variant (10) and 14 counter bits; then 16 counter bits and the process value.
    return `${this.#idPrefix}${HEX[randA >>> 8]!.slice(1)}${HEX[randA & 0xff]}-${hex4(0x8000 | (low30 >>> 16))}-${hex4(low30 & 0xffff)}${this.#processHex}`;
  }
}
