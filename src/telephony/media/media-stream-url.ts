import { SIGNATURE_HEADERS, signWebhook } from '../../events/index.ts';
import { AppError, ValidationError, type SsrfGuard } from '../../shared/index.ts';

/** Longest stream URL accepted (characters). */
export const MAX_STREAM_URL_LENGTH = 2048;

/** A stream URL that passed the syntax checks. */
export interface StreamUrl {
  /** What is connected to and signed: the URL as given, less a fragment (never sent on the wire). */
  url: string;
  /** The URL without user info, query or fragment (those may carry the bot's secrets): the resource's `external_host`. */
  externalHost: string;
}

const refuse = (why: string): ValidationError => ValidationError.field('external_host', 'INVALID_STREAM_URL', why);

/**
 * Checks a stream URL's form: at most {@link MAX_STREAM_URL_LENGTH} characters, `ws://` or `wss://`,
 * a host. ValidationError (`external_host`, `INVALID_STREAM_URL`) otherwise.
 */
export function parseStreamUrl(raw: string): StreamUrl {
  if (typeof raw !== 'string' || raw.length === 0) throw refuse('a ws:// or wss:// URL is required');
  if (raw.length > MAX_STREAM_URL_LENGTH) throw refuse(`the URL is longer than ${MAX_STREAM_URL_LENGTH} characters`);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw refuse('not a URL');
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw refuse('the scheme must be ws or wss');
  if (parsed.hostname === '') throw refuse('the URL has no host');
  const hash = raw.indexOf('#');
  return {
    url: hash === -1 ? raw : raw.slice(0, hash),
    externalHost: `${parsed.protocol}//${parsed.host}${parsed.pathname}`,
  };
}

/**
 * Checks the URL's host against the SSRF rules (docs/security.md) the way an http(s) URL is checked
 * (ws → http, wss → https): a refused address is ValidationError (`external_host`,
 * `INVALID_STREAM_URL`). Other failures (a name that does not resolve now) are left to the
 * connection, which fails as `connect_failed` through the guard's connect-time lookup.
 */
export async function checkStreamTarget(guard: SsrfGuard, url: string): Promise<void> {
  try {
    await guard.check(url.replace(/^ws/i, 'http'));
  } catch (err) {
    if (err instanceof AppError && err.code === 'SSRF_BLOCKED') throw refuse(err.message);
  }
}

/**
 * The upgrade request's headers: `User-Agent: callbin` and, with a secret, the webhook signature
 * scheme over the URL (docs/webhooks.md "Verifying signatures": `X-Callbin-Timestamp` and
 * `X-Callbin-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + url)>`).
 */
export function streamHeaders(secret: string, url: string, nowMs: number): Record<string, string> {
  const headers: Record<string, string> = { 'User-Agent': 'callbin' };
  if (secret === '') return headers;
  const signed = signWebhook(secret, url, Math.floor(nowMs / 1000));
  headers[SIGNATURE_HEADERS.timestamp] = signed[SIGNATURE_HEADERS.timestamp] ?? '';
  headers[SIGNATURE_HEADERS.callbin] = signed[SIGNATURE_HEADERS.callbin] ?? '';
  return headers;
}
