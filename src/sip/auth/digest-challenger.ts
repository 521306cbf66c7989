import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../shared/index.ts';
import { parseDigestParams, quoteParam } from './digest-params.ts';
import { digestResponse, toDigestAlgorithm } from './digest-response.ts';
import type { DigestAlgorithm } from './digest-response.ts';

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

/** Outcome of checking credentials: `stale` means right password but an expired nonce (answer again with stale=TRUE). */
export type DigestVerdict = 'ok' | 'stale' | 'invalid';

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
 * `timestamp.HMAC(secret, timestamp:realm)`, so any node with the secret can verify them, and
 * they expire after `nonceTtlMs`.
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

  /** WWW-Authenticate / Proxy-Authenticate values, one per algorithm, SHA-256 first (RFC 8760 §2.4). */
  challenge(realm: string, options: { stale?: boolean; algorithms?: DigestAlgorithm[] } = {}): string[] {
    const algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    const ordered = [...algorithms].sort((a, b) => (a === b ? 0 : a === 'SHA-256' ? -1 : 1));
    const nonce = this.#nonce(this.#clock.now(), realm);
    const opaque = this.#opaque(realm);
    return ordered.map((algorithm) => {
      const stale = options.stale ? ', stale=TRUE' : '';
      return `Digest realm=${quoteParam(realm)}, qop="auth", algorithm=${algorithm}, nonce=${quoteParam(nonce)}, opaque=${quoteParam(opaque)}${stale}`;
    });
  }

  /** Credentials from an Authorization / Proxy-Authorization value, or undefined when not a usable Digest header. */
  parseAuthorization(value: string): DigestCredentials | undefined {
    const parsed = parseDigestParams(value);
    if (!parsed || parsed.scheme.toLowerCase() !== 'digest') return undefined;
    const p = parsed.params;
    const [username, realm, nonce, uri, response] = ['username', 'realm', 'nonce', 'uri', 'response'].map((k) => p.get(k));
    const algorithm = toDigestAlgorithm(p.get('algorithm'));
    if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined || !algorithm) {
      return undefined;
    }
    const creds: DigestCredentials = { username, realm, nonce, uri, response: response.toLowerCase(), algorithm };
    for (const key of ['qop', 'nc', 'cnonce', 'opaque'] as const) {
      const v = p.get(key);
      if (v !== undefined) creds[key] = v;
    }
    return creds;
  }

  /** Check credentials against the password; constant-time on the response and nonce MAC. */
  verify(creds: DigestCredentials, expected: { method: string; password: string; realm: string }): DigestVerdict {
    if (creds.realm !== expected.realm) return 'invalid';
    const issuedAtMs = this.#checkNonce(creds.nonce, expected.realm);
    if (issuedAtMs === undefined) return 'invalid';
    if (creds.opaque !== undefined && !safeEqual(creds.opaque, this.#opaque(expected.realm))) return 'invalid';
    if (creds.qop !== undefined && (creds.qop !== 'auth' || !/^[0-9a-fA-F]{8}$/.test(creds.nc ?? '') || !creds.cnonce)) return 'invalid';
    const input = {
      algorithm: creds.algorithm, username: creds.username, realm: creds.realm, password: expected.password,
      method: expected.method, uri: creds.uri, nonce: creds.nonce,
    };
    const want = creds.qop === undefined ? digestResponse(input) : digestResponse({ ...input, qop: creds.qop, nc: creds.nc ?? '', cnonce: creds.cnonce ?? '' });
    if (!safeEqual(want, creds.response)) return 'invalid';
    return this.#clock.now() - issuedAtMs > this.#nonceTtlMs ? 'stale' : 'ok';
  }

  #mac(data: string): string {
    return createHmac('sha256', this.#secret).update(data).digest('base64url');
  }

  #nonce(nowMs: number, realm: string): string {
    const stamp = nowMs.toString(36);
    return `${stamp}.${this.#mac(`${stamp}:${realm}`)}`;
  }

  #opaque(realm: string): string {
    return this.#mac(`opaque:${realm}`).slice(0, 22);
  }

  /** The issue time of a nonce this server made for `realm`, or undefined for a forged or foreign one. */
  #checkNonce(nonce: string, realm: string): number | undefined {
    const dot = nonce.indexOf('.');
    if (dot <= 0) return undefined;
    const stamp = nonce.slice(0, dot);
    if (!safeEqual(nonce.slice(dot + 1), this.#mac(`${stamp}:${realm}`))) return undefined;
    const issuedAtMs = parseInt(stamp, 36);
    // A nonce from the future was not minted by this clock.
    return Number.isFinite(issuedAtMs) && issuedAtMs <= this.#clock.now() ? issuedAtMs : undefined;
  }
}
