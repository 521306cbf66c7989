import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../shared/index.ts';
import { parseDigestParams, quoteParam } from './digest-params.ts';
import { digestHa1, digestResponseFromHa1, toDigestAlgorithm } from './digest-response.ts';
import type { DigestAlgorithm, DigestHa1 } from './digest-response.ts';

/** The fields of an Authorization / Proxy-Authorization Digest header. */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/**
 * Outcome of checking credentials: `stale` means right password but an expired nonce (answer again
 * with stale=TRUE); `foreign` means the nonce, opaque or realm is not one this server issued to
 * this source, so no password was checked (answer with a fresh challenge); `invalid` is a wrong
 * response.
 */
export type DigestVerdict = 'ok' | 'stale' | 'invalid' | 'foreign';

/** What credentials are checked against: the stored HA1 (or, for clients and tests, the password). */
export type DigestSecret = { ha1: DigestHa1 } | { password: string };

/** The request the credentials came with. */
export interface DigestExpectation {
  method: string;
  realm: string;
  /** The source address the nonce was issued to (see {@link DigestChallenger.challenge}); default ''. */
  source?: string;
}

/** Construction options of a DigestChallenger. */
export interface DigestChallengerOptions {
  /** Key of the nonce HMAC; every node sharing it accepts the others' nonces. */
  secret: Buffer;
  clock: Clock;
  /** How long a nonce stays fresh (default 300 000 ms). */
  nonceTtlMs?: number;
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * Server side of SIP Digest authentication (RFC 7616, RFC 3261 §22.4). Nonces are stateless:
 * `timestamp.salt.HMAC(secret, timestamp.salt:realm:source)`, so any node with the secret can verify them,
 * they expire after `nonceTtlMs`, and a nonce issued to one address is foreign to every other
 * (RFC 7616 §5.5: a captured header cannot be used from elsewhere). Nonce-count replay is the
 * caller's state (see DigestGuard).
 */
export class DigestChallenger {
  readonly #secret: Buffer;
  readonly #clock: Clock;
  readonly #nonceTtlMs: number;

  constructor(options: DigestChallengerOptions) {
    this.#secret = options.secret;
    this.#clock = options.clock;
    this.#nonceTtlMs = options.nonceTtlMs ?? 300_000;
  }

  /** How long a nonce stays fresh. */
  get nonceTtlMs(): number {
    return this.#nonceTtlMs;
  }

  /**
   * WWW-Authenticate / Proxy-Authenticate values, one per algorithm, SHA-256 first (RFC 8760 §2.4),
   * with a nonce bound to `source` (the requester's address; default '').
   */
  challenge(
    realm: string,
    options: { stale?: boolean; algorithms?: readonly DigestAlgorithm[]; source?: string } = {},
  ): string[] {
    const algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    const ordered = [...algorithms].sort((a, b) => (a === b ? 0 : a === 'SHA-256' ? -1 : 1));
    const nonce = this.#nonce(this.#clock.now(), realm, options.source ?? '');
    const opaque = this.#opaque(realm);
    return ordered.map((algorithm) => {
      const stale = options.stale ? ', stale=TRUE' : '';
      return `Digest realm=${quoteParam(realm)}, qop="auth", algorithm=${algorithm}, nonce=${quoteParam(nonce)}, opaque=${quoteParam(opaque)}${stale}`;
    });
  }

  /** Credentials from an Authorization / Proxy-Authorization value, or undefined when not a usable Digest header. */
  parseAuthorization(value: string): DigestCredentials | undefined {
    const parsed = parseDigestParams(value);
    if (parsed?.scheme.toLowerCase() !== 'digest') return undefined;
    const p = parsed.params;
    const [username, realm, nonce, uri, response] = ['username', 'realm', 'nonce', 'uri', 'response'].map((k) =>
      p.get(k),
    );
    const algorithm = toDigestAlgorithm(p.get('algorithm'));
    if (
      username === undefined ||
      realm === undefined ||
      nonce === undefined ||
      uri === undefined ||
      response === undefined ||
      !algorithm
    ) {
      return undefined;
    }
    const creds: DigestCredentials = { username, realm, nonce, uri, response: response.toLowerCase(), algorithm };
    for (const key of ['qop', 'nc', 'cnonce', 'opaque'] as const) {
      const v = p.get(key);
      if (v !== undefined) creds[key] = v;
    }
    return creds;
  }

  /**
   * Check credentials against the stored HA1 (or a password); constant-time on the response and
   * nonce MAC. The nonce, opaque and realm are checked first: a `foreign` verdict checked no password.
   */
  verify(creds: DigestCredentials, expected: DigestExpectation & DigestSecret): DigestVerdict {
    if (creds.realm !== expected.realm) return 'foreign';
    const issuedAtMs = this.nonceIssuedAt(creds.nonce, expected.realm, expected.source ?? '');
    if (issuedAtMs === undefined) return 'foreign';
    if (creds.opaque !== undefined && !safeEqual(creds.opaque, this.#opaque(expected.realm))) return 'foreign';
    if (creds.qop !== undefined && (creds.qop !== 'auth' || !/^[0-9a-fA-F]{8}$/.test(creds.nc ?? '') || !creds.cnonce))
      return 'invalid';
    const ha1 =
      'ha1' in expected
        ? expected.ha1[creds.algorithm]
        : digestHa1(creds.algorithm, creds.username, creds.realm, expected.password);
    const input = { algorithm: creds.algorithm, method: expected.method, uri: creds.uri, nonce: creds.nonce };
    const want = digestResponseFromHa1(
      ha1,
      creds.qop === undefined ? input : { ...input, qop: creds.qop, nc: creds.nc ?? '', cnonce: creds.cnonce ?? '' },
    );
    if (!safeEqual(want, creds.response)) return 'invalid';
    return this.#clock.now() - issuedAtMs > this.#nonceTtlMs ? 'stale' : 'ok';
  }

  /** The issue time of a nonce this server made for `realm` and `source`, or undefined for a forged or foreign one. */
  nonceIssuedAt(nonce: string, realm: string, source: string): number | undefined {
    const parts = nonce.split('.');
    if (parts.length !== 3) return undefined;
    const [stamp = '', salt = '', mac = ''] = parts;
    if (!safeEqual(mac, this.#mac(`${stamp}.${salt}:${realm}:${source}`))) return undefined;
    const issuedAtMs = parseInt(stamp, 36);
    // A nonce from the future was not minted by this clock.
    return Number.isFinite(issuedAtMs) && issuedAtMs <= this.#clock.now() ? issuedAtMs : undefined;
  }

  #mac(data: string): string {
    return createHmac('sha256', this.#secret).update(data).digest('base64url');
  }

  // The salt makes every challenge's nonce unique, so two clients challenged in the same
  // millisecond never share a nonce (and its nonce-counts).
  #nonce(nowMs: number, realm: string, source: string): string {
    const head = `${nowMs.toString(36)}.${randomBytes(6).toString('base64url')}`;
    return `${head}.${this.#mac(`${head}:${realm}:${source}`)}`;
  }

  #opaque(realm: string): string {
    return this.#mac(`opaque:${realm}`).slice(0, 22);
  }
}
