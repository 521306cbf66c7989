import * as crypto from 'node:crypto';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of the webhook signature schemes (docs/events.md, Webhook delivery). */
export const SIGNATURE_HEADERS = {
  voipbin: 'X-VoIPBIN-Signature',
  timestamp: 'X-Callbin-Timestamp',
  callbin: 'X-Callbin-Signature',
} as const;

/** Why a webhook did not verify. */
export type VerifyFailure =
  | 'MISSING_SIGNATURE'
  | 'BAD_SIGNATURE'
  | 'MALFORMED_TIMESTAMP'
  | 'TIMESTAMP_OUT_OF_TOLERANCE';

/** The outcome of `verifyWebhook`: which scheme matched, or why none did. */
export type VerifyResult = { ok: true; scheme: 'v1' | 'sha256' } | { ok: false; reason: VerifyFailure };

/** Headers as Node (or any framework) presents them; names are matched case-insensitively. */
export type HeaderBag = Record<string, string | readonly string[] | undefined>;

function hmacHex(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data, 'utf8').digest('hex');
}

/** The signature headers for `body` sent at `timestampSec` (unix seconds). */
export function signWebhook(secret: string, body: string, timestampSec: number): Record<string, string> {
  const ts = String(Math.floor(timestampSec));
  return {
    [SIGNATURE_HEADERS.voipbin]: `sha256=${hmacHex(secret, body)}`,
    [SIGNATURE_HEADERS.timestamp]: ts,
    [SIGNATURE_HEADERS.callbin]: `v1=${hmacHex(secret, `${ts}.${body}`)}`,
  };
}

const BLOCK = 64;

/** SHA-256 in one call (`crypto.hash`, Node ≥ 20.12), or through a Hash object before it. */
const oneShot = typeof crypto.hash === 'function';
const sha256 = (data: Buffer): Buffer =>
  oneShot ? crypto.hash('sha256', data, 'buffer') : createHash('sha256').update(data).digest();
const sha256Hex = (data: Buffer): string =>
  oneShot ? crypto.hash('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');

/**
 * HMAC-SHA256 (RFC 2104) of one secret with its inner and outer key blocks prepared once, so signing
 * a message is two SHA-256 hashes over contiguous bytes: the same value as `createHmac`.
 */
export class WebhookSigningKey {
  readonly #ipad = Buffer.allocUnsafe(BLOCK);
  /** The outer block followed by room for the inner digest. */
  readonly #outer = Buffer.allocUnsafe(BLOCK + 32);

  constructor(secret: string) {
    let key = Buffer.from(secret, 'utf8');
    if (key.length > BLOCK) key = createHash('sha256').update(key).digest();
    for (let i = 0; i < BLOCK; i++) {
      const k = key[i] ?? 0;
      this.#ipad[i] = k ^ 0x36;
      this.#outer[i] = k ^ 0x5c;
    }
  }

  /**
   * The signature headers for `body` (UTF-8 bytes) sent at `timestampSec`, as a flat
   * `[name, value, …]` list: docs/webhooks.md "Verifying signatures".
   */
  headers(body: Buffer, timestampSec: number): string[] {
    const ts = String(Math.floor(timestampSec));
    // One buffer: the inner key block, then `<ts>.` and the body; the sha256 scheme hashes the key
    // block followed by the body alone, so the same bytes serve both with the key block copied in.
    const prefix = ts.length + 1;
    const message = Buffer.allocUnsafe(BLOCK + prefix + body.length);
    this.#ipad.copy(message, 0);
    message.write(`${ts}.`, BLOCK, 'latin1');
    body.copy(message, BLOCK + prefix);
    const v1 = this.#digest(message);
    this.#ipad.copy(message, prefix);
    const sha256 = this.#digest(message.subarray(prefix));
    return [
      SIGNATURE_HEADERS.voipbin,
      `sha256=${sha256}`,
      SIGNATURE_HEADERS.timestamp,
      ts,
      SIGNATURE_HEADERS.callbin,
      `v1=${v1}`,
    ];
  }

  /** The hex HMAC of the message whose first block is already the inner key block. */
  #digest(innerMessage: Buffer): string {
    sha256(innerMessage).copy(this.#outer, BLOCK);
    return sha256Hex(this.#outer);
  }
}

function header(headers: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== wanted || v === undefined) continue;
    return typeof v === 'string' ? v : v.join(',');
  }
  return undefined;
}

function sameHex(expected: string, candidate: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(candidate, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Every `<prefix>=<hex>` value of a header that may list several (secret rotation). */
function valuesWith(prefix: string, value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${prefix}=`))
    .map((part) => part.slice(prefix.length + 1));
}

/**
 * Verify a received webhook. The timestamped `v1` scheme is preferred and rejects replays older
 * than `toleranceSec`; without it the VoIPBIN `sha256` body signature is checked.
 */
export function verifyWebhook(opts: {
  secret: string;
  body: string;
  headers: HeaderBag;
  toleranceSec?: number;
  nowSec?: number;
}): VerifyResult {
  const tolerance = opts.toleranceSec ?? 300;
  const now = opts.nowSec ?? Math.floor(Date.now() / 1000);
  const v1 = header(opts.headers, SIGNATURE_HEADERS.callbin);
  if (v1 !== undefined) {
    const ts = header(opts.headers, SIGNATURE_HEADERS.timestamp) ?? '';
    if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'MALFORMED_TIMESTAMP' };
    if (Math.abs(now - Number(ts)) > tolerance) return { ok: false, reason: 'TIMESTAMP_OUT_OF_TOLERANCE' };
    const expected = hmacHex(opts.secret, `${ts}.${opts.body}`);
    return valuesWith('v1', v1).some((sig) => sameHex(expected, sig))
      ? { ok: true, scheme: 'v1' }
      : { ok: false, reason: 'BAD_SIGNATURE' };
  }
  const sha = header(opts.headers, SIGNATURE_HEADERS.voipbin);
  if (sha === undefined) return { ok: false, reason: 'MISSING_SIGNATURE' };
  const expected = hmacHex(opts.secret, opts.body);
  return valuesWith('sha256', sha).some((sig) => sameHex(expected, sig))
    ? { ok: true, scheme: 'sha256' }
    : { ok: false, reason: 'BAD_SIGNATURE' };
}
