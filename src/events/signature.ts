import { createHmac, timingSafeEqual } from 'node:crypto';

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
