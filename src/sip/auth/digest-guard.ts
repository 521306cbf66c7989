import { randomBytes } from 'node:crypto';
import { silentLogger } from '../../shared/index.ts';
import type { Clock, Logger } from '../../shared/index.ts';
import type { DigestChallenger, DigestCredentials } from './digest-challenger.ts';
import { DEFAULT_DIGEST_LIMITS, DigestFailureLimiter } from './digest-limiter.ts';
import type { DigestLimits } from './digest-limiter.ts';
import type { DigestAlgorithm, DigestHa1 } from './digest-response.ts';
import { NonceCounts } from './nonce-counts.ts';
import type { NonceCountLimits } from './nonce-counts.ts';

/** Options of a {@link DigestGuard}. */
export interface DigestGuardOptions {
  challenger: DigestChallenger;
  clock: Clock;
  logger?: Logger;
  limits?: Partial<DigestLimits>;
  nonceCounts?: NonceCountLimits;
}

/** An account found by digest username: what to hand back, its limiter key and its stored HA1. */
export interface DigestLookup<A> {
  account: A;
  /** The same for every username and realm of one account (an extension id), so they share one budget. */
  key: string;
  ha1: DigestHa1;
}

/** One challenged request to authenticate. */
export interface DigestAttempt<A> {
  method: string;
  /** The request's Authorization (or Proxy-Authorization) values; the one for `realm` is used. */
  authorizations: readonly string[];
  realm: string;
  /** The source address (no port): nonces are bound to it and the limiter counts by it. */
  source: string;
  lookup(username: string): Promise<DigestLookup<A> | undefined>;
}

/**
 * What to answer: `challenge` (401/407, `stale=TRUE` when the password was right but the nonce
 * expired or its nonce-count was used already), or `refuse` — one 403 for a wrong password, an
 * unknown user and an attempt over budget alike (RFC 3261 §22.4), so none of them tells which
 * accounts exist or whether the guess was even checked.
 */
export type DigestOutcome<A> =
  | { kind: 'ok'; account: A; username: string }
  | { kind: 'challenge'; stale: boolean }
  | { kind: 'refuse' };

/** Counters of a DigestGuard: `evaluated` counts password checks; the rest count outcomes. */
export interface DigestStats {
  evaluated: number;
  ok: number;
  invalid: number;
  blocked: number;
  stale: number;
  replayed: number;
  foreign_nonce: number;
  challenged: number;
}

/**
 * Digest authentication of SIP requests of any method (REGISTER, INVITE, …) behind one failure
 * limiter (see DigestFailureLimiter), with source-bound nonces and nonce-count replay detection.
 * An attempt over budget is refused before its password is checked.
 */
export class DigestGuard {
  readonly #challenger: DigestChallenger;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #limiter: DigestFailureLimiter;
  readonly #nonceCounts: NonceCounts;
  readonly #stats: DigestStats = {
    evaluated: 0,
    ok: 0,
    invalid: 0,
    blocked: 0,
    stale: 0,
    replayed: 0,
    foreign_nonce: 0,
    challenged: 0,
  };
  // Unknown users are checked against a throwaway HA1 so their answer takes as long as a wrong password's.
  readonly #decoy: DigestHa1 = { MD5: randomBytes(16).toString('hex'), 'SHA-256': randomBytes(32).toString('hex') };

  constructor(options: DigestGuardOptions) {
    this.#challenger = options.challenger;
    this.#clock = options.clock;
    this.#logger = options.logger ?? silentLogger;
    this.#limiter = new DigestFailureLimiter(options.clock, { ...DEFAULT_DIGEST_LIMITS, ...options.limits });
    this.#nonceCounts = new NonceCounts(options.nonceCounts);
  }

  /** The challenger (for parsing credentials). */
  get challenger(): DigestChallenger {
    return this.#challenger;
  }

  /** A copy of the counters. */
  stats(): DigestStats {
    return { ...this.#stats };
  }

  /** WWW-Authenticate / Proxy-Authenticate values, one per algorithm in the given order, nonces bound to `source`. */
  challenge(
    realm: string,
    source: string,
    options: { stale?: boolean; algorithms: readonly DigestAlgorithm[] },
  ): string[] {
    const offers = this.#challenger.challenge(realm, {
      stale: options.stale ?? false,
      algorithms: options.algorithms,
      source,
    });
    // One nonce for the whole list; the challenger sorts SHA-256 first, the caller's order wins.
    const rank = (offer: string): number => options.algorithms.findIndex((a) => offer.includes(`algorithm=${a},`));
    return offers.sort((x, y) => rank(x) - rank(y));
  }

  /** Authenticate one request: see {@link DigestOutcome}. Rejects only when the lookup does. */
  async authenticate<A>(attempt: DigestAttempt<A>): Promise<DigestOutcome<A>> {
    const creds = this.#credentials(attempt);
    if (!creds) return this.#count('challenged', { kind: 'challenge', stale: false });
    const found = await attempt.lookup(creds.username);
    const key = found?.key ?? `unknown:${attempt.realm}:${creds.username.toLowerCase()}`;
    const block = this.#limiter.blocked(key, attempt.source);
    if (block !== undefined) return this.#count('blocked', { kind: 'refuse' });
    const verdict = this.#challenger.verify(creds, {
      method: attempt.method,
      realm: attempt.realm,
      source: attempt.source,
      ha1: found?.ha1 ?? this.#decoy,
    });
    if (verdict === 'foreign') return this.#count('foreign_nonce', { kind: 'challenge', stale: false });
    this.#stats.evaluated += 1;
    if (!found || verdict === 'invalid') {
      const blocked = this.#limiter.recordFailure(key, attempt.source);
      if (blocked)
        this.#logger.warn(
          { source: attempt.source, blocked, method: attempt.method },
          'SIP digest failures over budget',
        );
      return this.#count('invalid', { kind: 'refuse' });
    }
    if (verdict === 'stale') return this.#count('stale', { kind: 'challenge', stale: true });
    if (!this.#freshCount(creds, attempt)) return this.#count('replayed', { kind: 'challenge', stale: true });
    this.#limiter.recordSuccess(key, attempt.source);
    return this.#count('ok', { kind: 'ok', account: found.account, username: creds.username });
  }

  /** The digest credentials for the attempt's realm among its header values, if any. */
  #credentials(attempt: DigestAttempt<unknown>): DigestCredentials | undefined {
    for (const value of attempt.authorizations) {
      const creds = this.#challenger.parseAuthorization(value);
      if (creds && creds.realm === attempt.realm) return creds;
    }
    return undefined;
  }

  // RFC 7616 §3.4: the same nc for the same nonce is a replay (nc 0 stands for "no qop").
  #freshCount(creds: DigestCredentials, attempt: DigestAttempt<unknown>): boolean {
    const issuedAtMs = this.#challenger.nonceIssuedAt(creds.nonce, attempt.realm, attempt.source);
    if (issuedAtMs === undefined) return false;
    const nc = creds.nc === undefined ? 0 : parseInt(creds.nc, 16);
    return this.#nonceCounts.use(
      creds.nonce,
      nc,
      issuedAtMs,
      issuedAtMs + this.#challenger.nonceTtlMs,
      this.#clock.now(),
    );
  }

  #count<T>(result: Exclude<keyof DigestStats, 'evaluated'>, outcome: T): T {
    this.#stats[result] += 1;
    return outcome;
  }
}
