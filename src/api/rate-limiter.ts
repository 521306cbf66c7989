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
