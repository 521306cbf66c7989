import type { FastifyRequest } from 'fastify';
import { NIL_UUID, type Clock } from '../shared/index.ts';
import type { Accesskey, Store } from '../store/index.ts';
import { ApiError } from './errors.ts';
import { hashToken, verifyJwt } from './credentials.ts';

/** Who is calling: resolved from an access key or a login JWT. */
export interface Principal {
  /** The access key id or user id: the unit of rate limiting and idempotency. */
  credentialId: string;
  customerId: string;
  role: 'admin' | 'customer';
}

interface CachedKey {
  key: Accesskey | undefined;
  customerLive: boolean;
  at: number;
}

const CACHE_TTL_MS = 5_000;

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The credential of a request, in the order of api.md: bearer header, query, cookie. */
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

  constructor(store: Store, clock: Clock, jwtSecret: Buffer) {
    this.#store = store;
    this.#clock = clock;
    this.#jwtSecret = jwtSecret;
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
    if (token === undefined) throw new ApiError('UNAUTHENTICATED', 'AUTHENTICATION_REQUIRED', 'this endpoint needs an access key or a login token');
    if (token.startsWith('vb_')) return this.#fromAccessKey(token);
    const claims = verifyJwt(token, this.#jwtSecret, Math.floor(this.#clock.now() / 1000));
    if (!claims) throw invalid();
    if (claims.role !== 'admin' && !(await this.#customerLive(claims.cid))) throw invalid();
    const user = await this.#store.users.get(claims.sub);
    if (!user) throw invalid();
    return { credentialId: claims.sub, customerId: claims.cid, role: claims.role };
  }

  /**
   * The principal of an access key already in the cache, synchronously (the hot path of every
   * request); undefined when the request needs the asynchronous `authenticate`.
   */
  cached(req: FastifyRequest): Principal | undefined {
    const auth = req.headers.authorization;
    if (auth === undefined || !auth.startsWith('Bearer vb_')) return undefined;
    const token = auth.slice(7).trim();
    const entry = this.#cache.get(token);
    const now = this.#clock.now();
    if (!entry || now - entry.at > CACHE_TTL_MS) return undefined;
    return this.#principalOf(entry, now);
  }

  async #fromAccessKey(token: string): Promise<Principal> {
    // Keyed by the token itself (memory only) so a cache hit costs no hashing.
    const now = this.#clock.now();
    let entry = this.#cache.get(token);
    if (!entry || now - entry.at > CACHE_TTL_MS) {
      const key = await this.#store.accesskeys.findByTokenHash(hashToken(token));
      const customerLive = key ? key.role === 'admin' || (await this.#customerLive(key.customer_id)) : false;
      entry = { key, customerLive, at: now };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(token, entry);
    }
    return this.#principalOf(entry, now);
  }

  #principalOf(entry: CachedKey, now: number): Principal {
    const key = entry.key;
    if (!key || !entry.customerLive || key.tm_delete) throw invalid();
    if (key.tm_expire && Date.parse(key.tm_expire) <= now) throw invalid();
    return { credentialId: key.id, customerId: key.customer_id, role: key.role };
  }

  async #customerLive(customerId: string): Promise<boolean> {
    if (customerId === NIL_UUID) return true;
    return (await this.#store.customers.get(customerId)) !== undefined;
  }
}

function invalid(): ApiError {
  return new ApiError('UNAUTHENTICATED', 'INVALID_CREDENTIALS', 'the credential is invalid or expired');
}

/** 403 unless the principal is the project admin. */
export function requireAdmin(p: Principal): void {
  if (p.role !== 'admin') throw new ApiError('PERMISSION_DENIED', 'PERMISSION_DENIED', 'only the project admin may do this');
}
