/** What one attempt's answer means for a delivery. */
export type AttemptOutcome = 'delivered' | 'retry' | 'failed';

/** 2xx delivers; 408, 429 and 5xx are worth retrying; any other answer fails for good (docs/events.md). */
export function outcomeOfStatus(statusCode: number): AttemptOutcome {
  if (statusCode >= 200 && statusCode < 300) return 'delivered';
  if (statusCode === 408 || statusCode === 429 || statusCode >= 500) return 'retry';
  return 'failed';
}

/** Options of `retryDelayMs`. */
export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  /** Uniform [0, 1); injected so tests are deterministic. */
  random?: () => number;
  /** A receiver's `Retry-After` in seconds, honoured when longer than the backoff. */
  retryAfterSec?: number;
}

/**
 * Delay before the retry that follows failed attempt number `attempt` (1-based): base × 2^(attempt−1)
 * (1 s, 2 s, 4 s …) with ±20 % jitter so receivers recovering from an outage are not hit in lockstep,
 * capped at one hour.
 */
export function retryDelayMs(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 1000;
  const cap = opts.capMs ?? 3_600_000;
  const random = opts.random ?? Math.random;
  const exponential = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.min(cap, Math.round(exponential * (0.8 + 0.4 * random())));
  const asked = opts.retryAfterSec !== undefined && Number.isFinite(opts.retryAfterSec) ? opts.retryAfterSec * 1000 : 0;
  return Math.min(cap, Math.max(jittered, asked));
}
