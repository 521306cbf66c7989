import type { Clock } from '../../shared/index.ts';

/** Thresholds of a {@link FailureBudget}. */
export interface FailureBudgetLimits {
  /** Failures within `windowMs` that block the key. */
  maxFailures: number;
  windowMs: number;
  /** The first block; each further block within `maxBlockMs` of the last one doubles it. */
  blockMs: number;
  maxBlockMs: number;
  /** Keys tracked at most; see {@link FailureBudget.blockedFor} for what happens when full. */
  maxKeys: number;
}

interface BudgetRecord {
  failuresAtMs: number[];
  blockedUntilMs: number;
  /** Blocks in a row, for the backoff; forgotten once a block ended more than maxBlockMs ago. */
  strikes: number;
}

// A full table is swept at most this often, so a flood of new keys cannot make every request O(n).
const SWEEP_INTERVAL_MS = 1000;

/**
 * Failed attempts counted per key in a sliding window; a key over budget is blocked, each block
 * twice as long as the previous one (capped). Bounded: at `maxKeys` stale records are swept, and
 * when none can go a new key is treated as blocked (fail closed) until some can.
 */
export class FailureBudget {
  readonly #clock: Clock;
  readonly #limits: FailureBudgetLimits;
  readonly #records = new Map<string, BudgetRecord>();
  #lastSweepMs = -Infinity;

  constructor(clock: Clock, limits: FailureBudgetLimits) {
    this.#clock = clock;
    this.#limits = limits;
  }

  /** Number of keys tracked. */
  get size(): number {
    return this.#records.size;
  }

  /** Milliseconds `key` stays blocked (0 when it may try now). */
  blockedFor(key: string): number {
    const now = this.#clock.now();
    const record = this.#records.get(key);
    if (record) return Math.max(0, record.blockedUntilMs - now);
    return this.#hasRoom(now) ? 0 : this.#limits.windowMs;
  }

  /** Record one failure of `key`; returns true when this failure blocks it. */
  fail(key: string): boolean {
    const now = this.#clock.now();
    let record = this.#records.get(key);
    if (!record) {
      if (!this.#hasRoom(now)) return false;
      record = { failuresAtMs: [], blockedUntilMs: 0, strikes: 0 };
      this.#records.set(key, record);
    }
    record.failuresAtMs = record.failuresAtMs.filter((t) => now - t < this.#limits.windowMs);
    record.failuresAtMs.push(now);
    if (record.failuresAtMs.length < this.#limits.maxFailures) return false;
    if (now - record.blockedUntilMs > this.#limits.maxBlockMs) record.strikes = 0;
    record.strikes += 1;
    const blockMs = Math.min(this.#limits.blockMs * 2 ** Math.min(record.strikes - 1, 30), this.#limits.maxBlockMs);
    record.blockedUntilMs = now + blockMs;
    record.failuresAtMs = [];
    return true;
  }

  /** Forget `key`'s failures (not a running block). */
  forgive(key: string): void {
    const record = this.#records.get(key);
    if (record && record.blockedUntilMs <= this.#clock.now()) this.#records.delete(key);
  }

  #hasRoom(now: number): boolean {
    if (this.#records.size < this.#limits.maxKeys) return true;
    if (now - this.#lastSweepMs >= SWEEP_INTERVAL_MS) {
      this.#lastSweepMs = now;
      for (const [key, record] of this.#records) {
        const recent = record.failuresAtMs.some((t) => now - t < this.#limits.windowMs);
        // A record whose backoff memory has lapsed carries nothing worth keeping.
        if (!recent && now - record.blockedUntilMs > this.#limits.maxBlockMs) this.#records.delete(key);
      }
    }
    return this.#records.size < this.#limits.maxKeys;
  }
}
