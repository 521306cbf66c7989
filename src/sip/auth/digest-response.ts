import { createHash } from 'node:crypto';

/** Digest algorithms callbin speaks (RFC 7616 §3.2). */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

/** HA1 = H(username:realm:password) (RFC 7616 §3.4.2) of one username in one realm, per algorithm. */
export type DigestHa1 = Record<DigestAlgorithm, string>;

/** The request side of a digest `response`: everything but the credentials. */
export interface DigestChallengeInput {
  algorithm: DigestAlgorithm;
  method: string;
  uri: string;
  nonce: string;
  /** `auth`, or undefined for RFC 2069-style clients without qop. */
  qop?: string;
  /** nc as sent: eight hex digits. */
  nc?: string;
  cnonce?: string;
}

/** Everything that goes into a digest `response` value. */
export interface DigestInput extends DigestChallengeInput {
  username: string;
  realm: string;
  password: string;
}

/** The algorithm named by an `algorithm=` parameter (case-insensitive; absent means MD5), or undefined if unsupported. */
export function toDigestAlgorithm(name: string | undefined): DigestAlgorithm | undefined {
  const upper = (name ?? 'MD5').toUpperCase();
  if (upper === 'MD5') return 'MD5';
  if (upper === 'SHA-256') return 'SHA-256';
  return undefined;
}

function hash(algorithm: DigestAlgorithm, data: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(data, 'utf8')
    .digest('hex');
}

/** HA1 of RFC 7616 §3.4.2 for one algorithm: what a server stores instead of the password. */
export function digestHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return hash(algorithm, `${username}:${realm}:${password}`);
}

/** HA1 of `username` in `realm` for every algorithm callbin speaks. */
export function digestHa1s(username: string, realm: string, password: string): DigestHa1 {
  return {
    MD5: digestHa1('MD5', username, realm, password),
    'SHA-256': digestHa1('SHA-256', username, realm, password),
  };
}

/** The `response` value of RFC 7616 §3.4.1 from a stored HA1 (RFC 2617 §3.2.2.1 without qop). */
export function digestResponseFromHa1(ha1: string, i: DigestChallengeInput): string {
  const ha2 = hash(i.algorithm, `${i.method}:${i.uri}`);
  if (i.qop === undefined) return hash(i.algorithm, `${ha1}:${i.nonce}:${ha2}`);
  return hash(i.algorithm, `${ha1}:${i.nonce}:${i.nc ?? ''}:${i.cnonce ?? ''}:${i.qop}:${ha2}`);
}

/** The `response` value of RFC 7616 §3.4.1 (and RFC 2617 §3.2.2.1 without qop). */
export function digestResponse(i: DigestInput): string {
  return digestResponseFromHa1(digestHa1(i.algorithm, i.username, i.realm, i.password), i);
}
