import type { FastifyRequest } from 'fastify';
import { NIL_UUID, type Clock } from '../shared/index.ts';
import type { Accesskey, Store, User } from '../store/index.ts';
import { ApiError } from './errors.ts';
import { hashToken, verifyJwt } from './credentials.ts';
import { FailureLimiter } from './rate-limiter.ts';
import { sourceOf } from './source.ts';

/** Who is calling: resolved from an access key or a login JWT. */
export interface Principal {
  /** The access key id or user id: the unit of rate limiting and idempotency. */
  credentialId: string;
  customerId: string;
  role: 'admin' | 'customer';
  /** The customer is frozen: only `GET /customer` is answered (docs/api.md "Freezing a customer"). */
  frozen?: boolean;
}

interface CachedKey {
  key: Accesskey | undefined;
  customerLive: boolean;
  /** The key's customer is frozen (docs/api.md "Freezing a customer"). */
  customerFrozen?: boolean;
  at: number;
}

const CACHE_TTL_MS = 5_000;

/** Failed credentials (keys, tokens, passwords) one source may send per window before a 429. */
export const SOURCE_FAILURE_LIMIT = 20;
export const SOURCE_FAILURE_WINDOW_MS = 60_000;
/** Failed logins one username may take per window (any source) before a 429. */
export const USERNAME_FAILURE_LIMIT = 10;
export const USERNAME_FAILURE_WINDOW_MS = 10 * 60_000;
/** Sources or usernames each failure table tracks at most. */
export const FAILURE_KEYS_MAX = 10_000;

/**
 * The customer a credential row acts for: its own, or for the project admin's rows (customer_id is
 * the nil UUID, outside every customer's scope) the customer recorded at first start.
 */
export function actingCustomer(row: Pick<Accesskey | User, 'customer_id' | 'acting_customer_id'>): string {
  return row.customer_id === NIL_UUID && row.acting_customer_id ? row.acting_customer_id : row.customer_id;
}

/** 429 for a source or username that failed too often; Retry-After carries `retryAfterSec`. */
export function tooManyFailures(retryAfterSec: number): ApiError {
  const err = new ApiError('TOO_MANY_FAILED_ATTEMPTS', `too many failed attempts; retry in ${retryAfterSec} s`);
  return Object.assign(err, { retryAfterSec });
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      // Bad percent-encoding is an invalid credential (401), not a URIError (500).
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return '';
      }
    }
  }
  return undefined;
}

/** The credential of a request, in the order of docs/api.md: bearer header, query, cookie. */
export function findCredential(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : '';
  }
  const q = req.query as Record<string, unknown> | undefined;
  for (const name of ['accesskey', 'token']) {
    const v = q?.[name];
    if (typeof v === 'string') return v;
  }
  const cookie = req.headers.cookie;
  return cookieValue(cookie, 'accesskey') ?? cookieValue(cookie, 'token');
}

/** Resolves credentials to principals, with a short cache of access key lookups. */
export class Authenticator {
  #cache = new Map<string, CachedKey>();
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #jwtSecret: Buffer;
  /** Failed credentials per source address (IPv6 per /64), checked before any lookup. */
  readonly sourceFailures: FailureLimiter;
  /** Failed logins per username. */
  readonly usernameFailures: FailureLimiter;

  constructor(store: Store, clock: Clock, jwtSecret: Buffer) {
    this.#store = store;
    this.#clock = clock;
    this.#jwtSecret = jwtSecret;
    this.sourceFailures = new FailureLimiter({
      limit: SOURCE_FAILURE_LIMIT,
      windowMs: SOURCE_FAILURE_WINDOW_MS,
      maxKeys: FAILURE_KEYS_MAX,
      clock,
    });
    this.usernameFailures = new FailureLimiter({
      limit: USERNAME_FAILURE_LIMIT,
      windowMs: USERNAME_FAILURE_WINDOW_MS,
      maxKeys: FAILURE_KEYS_MAX,
      clock,
    });
  }

  /**
   * 429 while the request's source is blocked for failed credentials. It runs before any lookup, so
   * it cannot tell a good credential from a bad one: a blocked source is refused until its window ends.
   */
  admitSource(req: FastifyRequest): void {
    const wait = this.sourceFailures.blockedFor(sourceOf(req));
    if (wait > 0) throw tooManyFailures(wait);
  }

  /** Forget cached lookups of an access key (after it was changed or deleted). */
  forgetKey(id: string): void {
    for (const [token, entry] of this.#cache) if (entry.key?.id === id) this.#cache.delete(token);
  }

  /** Forget everything cached (after a customer was deleted). */
  forgetAll(): void {
    this.#cache.clear();
  }

  /** The principal for a request, or a 401 ApiError. */
  async authenticate(req: FastifyRequest): Promise<Principal> {
    const token = findCredential(req);
    if (token === undefined)
      throw new ApiError('AUTHENTICATION_REQUIRED', 'this endpoint needs an access key or a login token');
    this.admitSource(req);
    try {
      return token.startsWith('vb_') ? await this.#fromAccessKey(token) : await this.#fromJwt(token);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'INVALID_CREDENTIALS') this.sourceFailures.fail(sourceOf(req));
      throw err;
    }
  }

  async #fromJwt(token: string): Promise<Principal> {
    const claims = verifyJwt(token, this.#jwtSecret, Math.floor(this.#clock.now() / 1000));
    if (!claims) throw invalid();
    // The user row, not the claims, says who this is; a password change bumps its version.
    const user = await this.#store.users.get(claims.sub);
    if (!user || (claims.pwv ?? 0) !== user.password_version) throw invalid();
    const state = user.role === 'admin' ? 'live' : await this.#customerState(user.customer_id);
    if (state === 'gone') throw invalid();
    return {
      credentialId: user.id,
      customerId: actingCustomer(user),
      role: user.role,
      ...(state === 'frozen' ? { frozen: true } : {}),
    };
  }

  /**
   * The principal of an access key already in the cache, synchronously (the hot path of every
   * request); undefined when the request needs the asynchronous `authenticate`.
   */
  cached(req: FastifyRequest): Principal | undefined {
    const auth = req.headers.authorization;
    if (auth === undefined || !auth.startsWith('Bearer vb_')) return undefined;
    this.admitSource(req);
    const token = auth.slice(7).trim();
    const entry = this.#cache.get(token);
    const now = this.#clock.now();
    if (!entry || now - entry.at > CACHE_TTL_MS) return undefined;
    try {
      return this.#principalOf(entry, now);
    } catch (err) {
      this.sourceFailures.fail(sourceOf(req));
      throw err;
    }
  }

  async #fromAccessKey(token: string): Promise<Principal> {
    // Keyed by the token itself (memory only) so a cache hit costs no hashing.
    const now = this.#clock.now();
    let entry = this.#cache.get(token);
    if (!entry || now - entry.at > CACHE_TTL_MS) {
      const key = await this.#store.accesskeys.findByTokenHash(hashToken(token));
      const state = !key ? 'gone' : key.role === 'admin' ? 'live' : await this.#customerState(key.customer_id);
      entry = { key, customerLive: state !== 'gone', customerFrozen: state === 'frozen', at: now };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(token, entry);
    }
    return this.#principalOf(entry, now);
  }

  #principalOf(entry: CachedKey, now: number): Principal {
    const key = entry.key;
    if (!key || !entry.customerLive || key.tm_delete) throw invalid();
    if (key.tm_expire && Date.parse(key.tm_expire) <= now) throw invalid();
    const principal: Principal = { credentialId: key.id, customerId: actingCustomer(key), role: key.role };
    if (entry.customerFrozen) principal.frozen = true;
    return principal;
  }

  /** Whether a credential's customer exists and is frozen (docs/api.md "Freezing a customer"). */
  async #customerState(customerId: string): Promise<'live' | 'frozen' | 'gone'> {
    if (customerId === NIL_UUID) return 'live';
    const customer = await this.#store.customers.get(customerId);
    return customer === undefined ? 'gone' : customer.status === 'frozen' ? 'frozen' : 'live';
  }
}

function invalid(): ApiError {
  return new ApiError('INVALID_CREDENTIALS', 'the credential is invalid or expired');
}

/** 403 unless the principal is the project admin. */
export function requireAdmin(p: Principal): void {
  if (p.role !== 'admin') throw new ApiError('PERMISSION_DENIED', 'only the project admin may do this');
}
