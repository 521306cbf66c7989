import { createHash } from 'node:crypto';

/** Digest algorithms callbin speaks (RFC 7616 §3.2). */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

/** Everything that goes into a digest `response` value. */
export interface DigestInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** `auth`, or undefined for RFC 2069-style clients without qop. */
  qop?: string;
  /** nc as sent: eight hex digits. */
  nc?: string;
  cnonce?: string;
}

/** The algorithm named by an `algorithm=` parameter (case-insensitive; absent means MD5), or undefined if unsupported. */
export function toDigestAlgorithm(name: string | undefined): DigestAlgorithm | undefined {
  const upper = (name ?? 'MD5').toUpperCase();
  if (upper === 'MD5') return 'MD5';
  if (upper === 'SHA-256') return 'SHA-256';
  return undefined;
}

function hash(algorithm: DigestAlgorithm, data: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256').update(data, 'utf8').digest('hex');
}

/** The `response` value of RFC 7616 §3.4.1 (and RFC 2617 §3.2.2.1 without qop). */
export function digestResponse(i: DigestInput): string {
  const ha1 = hash(i.algorithm, `${i.username}:${i.realm}:${i.password}`);
  const ha2 = hash(i.algorithm, `${i.method}:${i.uri}`);
  if (i.qop === undefined) return hash(i.algorithm, `${ha1}:${i.nonce}:${ha2}`);
  return hash(i.algorithm, `${ha1}:${i.nonce}:${i.nc ?? ''}:${i.cnonce ?? ''}:${i.qop}:${ha2}`);
}
