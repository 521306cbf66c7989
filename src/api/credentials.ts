import { createHash, createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** A fresh access key token: `vb_` + 40 url-safe random characters. */
export function newAccessKeyToken(): string {
  return 'vb_' + randomBytes(30).toString('base64url');
}

/** SHA-256 hex of a token: the only form in which access keys are stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A password hash `scrypt$<salt>$<hash>` (base64url parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** Constant-time check of a password against `hashPassword` output. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, saltText, hashText] = stored.split('$');
  if (scheme !== 'scrypt' || !saltText || !hashText) return false;
  const expected = Buffer.from(hashText, 'base64url');
  const actual = await scrypt(password, Buffer.from(saltText, 'base64url'), expected.length);
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;

/**
 * Check `password` against a throwaway hash, so a login for an unknown username costs the same
 * scrypt as one for a known username (no timing oracle of which usernames exist).
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('base64url'));
  await verifyPassword(password, await dummyHash);
  return false;
}

/** The claims callbin puts in its login tokens. */
export interface JwtClaims {
  sub: string;
  cid: string;
  role: 'admin' | 'customer';
  iat: number;
  exp: number;
  /** The user's password version when the token was issued (absent = 0); a change revokes it. */
  pwv?: number;
}

/**
 * A response body as it may be stored (idempotency records): an access key token is shown once,
 * in the live response only, so a stored copy drops it and says so with `token_redacted: true`.
 */
export function withoutOneTimeSecrets(body: string): string {
  if (!body.includes('"vb_')) return body;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return body;
    const { token, ...rest } = parsed as Record<string, unknown>;
    if (typeof token !== 'string' || !token.startsWith('vb_')) return body;
    return JSON.stringify({ ...rest, token_redacted: true });
  } catch {
    return body;
  }
}

const JWT_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** Sign claims as an HS256 JWT (RFC 7519). */
export function signJwt(claims: JwtClaims, secret: Buffer): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const sig = createHmac('sha256', secret).update(`${JWT_HEADER}.${payload}`).digest('base64url');
  return `${JWT_HEADER}.${payload}.${sig}`;
}

/** Verify an HS256 JWT; undefined when malformed, forged or expired at `nowSec`. */
export function verifyJwt(token: string, secret: Buffer, nowSec: number): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, sig] = parts as [string, string, string];
  if (header !== JWT_HEADER) return undefined;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JwtClaims;
    if (typeof claims.exp !== 'number' || claims.exp <= nowSec) return undefined;
    if (typeof claims.sub !== 'string' || typeof claims.cid !== 'string') return undefined;
    return claims;
  } catch {
    return undefined;
  }
}
