import type { Clock } from '../../shared/index.ts';
import { FailureBudget } from './failure-budget.ts';
import type { FailureBudgetLimits } from './failure-budget.ts';

/** Budgets of a {@link DigestFailureLimiter}. */
export interface DigestLimits {
  /** Wrong guesses at one account from sources it has never authenticated from. */
  account: FailureBudgetLimits;
  /** Wrong guesses from one source address at accounts it has never authenticated for. */
  source: FailureBudgetLimits;
  /** Wrong guesses of one account from one of its known sources (its own budget). */
  knownSource: FailureBudgetLimits;
  /** How long a successful authentication keeps a source known for the account. */
  knownSourceTtlMs: number;
  maxKnownSources: number;
}

const MINUTE = 60_000;

/**
 * Defaults: an account takes at most 20 wrong guesses a minute from unknown sources, then is
 * locked for 2 minutes (doubling per repeat, at most an hour); a source with 20 failures in a
 * minute is blocked for 5 minutes (doubling, at most an hour); a known source of an account has
 * its own 20-a-minute budget and is exempt from both; a source stays known for 24 hours after its
 * last success.
 */
export const DEFAULT_DIGEST_LIMITS: DigestLimits = {
  account: { maxFailures: 20, windowMs: MINUTE, blockMs: 2 * MINUTE, maxBlockMs: 60 * MINUTE, maxKeys: 50_000 },
  source: { maxFailures: 20, windowMs: MINUTE, blockMs: 5 * MINUTE, maxBlockMs: 60 * MINUTE, maxKeys: 50_000 },
  knownSource: { maxFailures: 20, windowMs: MINUTE, blockMs: 5 * MINUTE, maxBlockMs: 60 * MINUTE, maxKeys: 50_000 },
  knownSourceTtlMs: 24 * 60 * MINUTE,
  maxKnownSources: 100_000,
};

/** Why an attempt is refused before its password is checked. */
export type DigestBlock = 'account' | 'source' | 'known_source';

/**
 * One limiter of digest failures for every SIP method, keyed by account and by source. A source
 * that has authenticated for an account (the phone's own address) is "known": it is counted on
 * its own budget and is not subject to the account lockout or the source block, so failures sent
 * from elsewhere — or spoofed from a victim's address — cannot lock the real phone out.
 */
export class DigestFailureLimiter {
  readonly #clock: Clock;
  readonly #limits: DigestLimits;
  readonly #accounts: FailureBudget;
  readonly #sources: FailureBudget;
  readonly #knownBudget: FailureBudget;
  /** `account\nsource` → last success; Map order is least recently confirmed first. */
  readonly #known = new Map<string, number>();

  constructor(clock: Clock, limits: DigestLimits = DEFAULT_DIGEST_LIMITS) {
    this.#clock = clock;
    this.#limits = limits;
    this.#accounts = new FailureBudget(clock, limits.account);
    this.#sources = new FailureBudget(clock, limits.source);
    this.#knownBudget = new FailureBudget(clock, limits.knownSource);
  }

  /** Whether `source` has authenticated for `account` recently. */
  isKnown(account: string, source: string): boolean {
    const key = pairKey(account, source);
    const at = this.#known.get(key);
    if (at === undefined) return false;
    if (this.#clock.now() - at <= this.#limits.knownSourceTtlMs) return true;
    this.#known.delete(key);
    return false;
  }

  /** Why an attempt at `account` from `source` must be refused unchecked, or undefined when it may be checked. */
  blocked(account: string, source: string): DigestBlock | undefined {
    if (this.isKnown(account, source))
      return this.#knownBudget.blockedFor(pairKey(account, source)) > 0 ? 'known_source' : undefined;
    if (this.#sources.blockedFor(source) > 0) return 'source';
    if (this.#accounts.blockedFor(account) > 0) return 'account';
    return undefined;
  }

  /** Count a wrong guess; returns what it newly blocked, if anything. */
  recordFailure(account: string, source: string): DigestBlock | undefined {
    if (this.isKnown(account, source))
      return this.#knownBudget.fail(pairKey(account, source)) ? 'known_source' : undefined;
    const sourceBlocked = this.#sources.fail(source);
    const accountBlocked = this.#accounts.fail(account);
    return accountBlocked ? 'account' : sourceBlocked ? 'source' : undefined;
  }

  /** A successful authentication: `source` becomes (or stays) known for `account`. */
  recordSuccess(account: string, source: string): void {
    const key = pairKey(account, source);
    this.#known.delete(key);
    if (this.#known.size >= this.#limits.maxKnownSources) {
      // Forgetting the least recently confirmed pair only puts it back under the shared budgets.
      const oldest = this.#known.keys().next();
      if (!oldest.done) this.#known.delete(oldest.value);
    }
    this.#known.set(key, this.#clock.now());
    this.#knownBudget.forgive(key);
  }
}

function pairKey(account: string, source: string): string {
  return `${account}\n${source}`;
}
