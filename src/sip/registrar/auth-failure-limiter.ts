import type { Clock } from '../../shared/index.ts';

/** Thresholds of an {@link AuthFailureLimiter}. */
export interface AuthFailureLimits {
  /** Failures within `windowMs` that block the source. */
  maxFailures: number;
  windowMs: number;
  /** How long a blocked source is refused without checking credentials. */
  blockMs: number;
}

/** Defaults: 20 failures in a minute block the address for five minutes. */
export const DEFAULT_AUTH_FAILURE_LIMITS: AuthFailureLimits = { maxFailures: 20, windowMs: 60_000, blockMs: 300_000 };

interface SourceRecord {
  failuresAtMs: number[];
  blockedUntilMs: number;
}

// Bounds memory under a spray of spoofed UDP source addresses: past this size, stale entries go.
const SWEEP_THRESHOLD = 10_000;

/** Counts failed digest attempts per source address and blocks addresses that fail too often. */
export class AuthFailureLimiter {
  readonly #clock: Clock;
  readonly #limits: AuthFailureLimits;
  readonly #sources = new Map<string, SourceRecord>();

  constructor(clock: Clock, limits: AuthFailureLimits = DEFAULT_AUTH_FAILURE_LIMITS) {
    this.#clock = clock;
    this.#limits = limits;
  }

  /** Number of addresses tracked (blocked or with recent failures). */
  get size(): number {
    return this.#sources.size;
  }

  /** True while `address` is blocked. */
  isBlocked(address: string): boolean {
    const record = this.#sources.get(address);
    return record !== undefined && record.blockedUntilMs > this.#clock.now();
  }

  /** Record one failed attempt from `address`; returns true when this failure blocks it. */
  recordFailure(address: string): boolean {
    const now = this.#clock.now();
    if (this.#sources.size >= SWEEP_THRESHOLD) this.#sweep(now);
    const record = this.#sources.get(address) ?? { failuresAtMs: [], blockedUntilMs: 0 };
    this.#sources.set(address, record);
    record.failuresAtMs = record.failuresAtMs.filter((t) => now - t < this.#limits.windowMs);
    record.failuresAtMs.push(now);
    if (record.failuresAtMs.length < this.#limits.maxFailures) return false;
    record.blockedUntilMs = now + this.#limits.blockMs;
    record.failuresAtMs = [];
    return true;
  }

  #sweep(now: number): void {
    for (const [address, record] of this.#sources) {
      const recent = record.failuresAtMs.some((t) => now - t < this.#limits.windowMs);
      if (!recent && record.blockedUntilMs <= now) this.#sources.delete(address);
    }
  }
}
