import type { Clock } from '../shared/index.ts';

interface Bucket {
  tokens: number;
  at: number;
}

/** A token bucket per credential: `ratePerSec` refill, `burst` capacity. */
export class RateLimiter {
  #buckets = new Map<string, Bucket>();
  readonly #ratePerSec: number;
  readonly #burst: number;
  readonly #clock: Clock;

  constructor(opts: { ratePerSec: number; burst: number; clock: Clock }) {
    this.#ratePerSec = opts.ratePerSec;
    this.#burst = opts.burst;
    this.#clock = opts.clock;
  }

  /** Take one token for `key`; returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const now = this.#clock.now();
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size > 100_000) this.#buckets.clear(); // bound memory under key churn
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(key, b);
    }
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#ratePerSec);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#ratePerSec));
  }
}

interface Window {
  count: number;
  resetAt: number;
}

/**
 * Counts failures (wrong credentials, wrong passwords) per key in a fixed window that starts at the
 * key's first failure: at `limit` failures the key is blocked until the window ends. At most
 * `maxKeys` keys are tracked; when full, expired windows go first, then the oldest.
 */
export class FailureLimiter {
  #windows = new Map<string, Window>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #clock: Clock;

  constructor(opts: { limit: number; windowMs: number; maxKeys: number; clock: Clock }) {
    this.#limit = opts.limit;
    this.#windowMs = opts.windowMs;
    this.#maxKeys = opts.maxKeys;
    this.#clock = opts.clock;
  }

  /** 0 when `key` may try, else the whole seconds until its window ends. */
  blockedFor(key: string): number {
    const w = this.#current(key, this.#clock.now());
    if (!w || w.count < this.#limit) return 0;
    return Math.max(1, Math.ceil((w.resetAt - this.#clock.now()) / 1000));
  }

  /** Count one failure of `key`. */
  fail(key: string): void {
    const now = this.#clock.now();
    const w = this.#current(key, now);
    if (w) {
      w.count++;
      return;
    }
    if (this.#windows.size >= this.#maxKeys) this.#evict(now);
    this.#windows.set(key, { count: 1, resetAt: now + this.#windowMs });
  }

  /** Take back one counted failure (an attempt counted up front that succeeded). */
  forgive(key: string): void {
    const w = this.#windows.get(key);
    if (w && w.count > 0) w.count--;
  }

  /** How many keys are tracked (bounded by `maxKeys`). */
  get size(): number {
    return this.#windows.size;
  }

  #current(key: string, now: number): Window | undefined {
    const w = this.#windows.get(key);
    if (w && w.resetAt <= now) {
      this.#windows.delete(key);
      return undefined;
    }
    return w;
  }

  #evict(now: number): void {
    for (const [k, w] of this.#windows) if (w.resetAt <= now) this.#windows.delete(k);
    // Still nearly full: drop the oldest tenth (a Map iterates in insertion order), so a flood of new
    // keys pays this scan once per tenth of the capacity, not on every insert.
    for (const k of this.#windows.keys()) {
      if (this.#windows.size < this.#maxKeys * 0.9) break;
      this.#windows.delete(k);
    }
  }
}
