import { ValidationError } from '../shared/index.ts';

/** The keyset position after the last row of a page: newest-first order is (tm_create desc, id desc). */
export interface PageCursor {
  tmCreate: string;
  id: string;
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Encode a cursor as an opaque base64url token. */
export function encodePageToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.tmCreate, cursor.id]), 'utf8').toString('base64url');
}

function invalid(): ValidationError {
  return ValidationError.field(
    'page_token',
    'INVALID_PAGE_TOKEN',
    'page_token is not a token returned by a previous list call',
  );
}

// VoIPBIN's token: the `tm_create` of the last item, `2024-03-25 01:02:03.456789` (UTC, as its
// database writes it) or RFC 3339 (`2024-03-25T01:02:03.456789Z`, an offset allowed).
const FIRST_MS = Date.parse('0100-01-01T00:00:00.000Z');
const LAST_MS = Date.parse('9999-12-31T23:59:59.999Z');
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})?$/;

/**
 * A VoIPBIN page token (docs/voipbin-compatibility.md "Pagination") as the cursor "created before
 * this moment": the moment rounded up to the millisecond the store keeps, so a row stored at
 * `.456` is before `.456789` and `.456` is not before `.456`; the empty id passes no row of that
 * millisecond itself. Undefined for text that is not such a timestamp (a day that does not exist
 * included).
 */
export function timestampCursor(token: string): PageCursor | undefined {
  const m = TIMESTAMP_RE.exec(token);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const local = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(local);
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h ||
    check.getUTCMinutes() !== mi ||
    check.getUTCSeconds() !== s
  ) {
    return undefined;
  }
  const fraction = (m[7] ?? '').padEnd(9, '0');
  const ms = Number(fraction.slice(0, 3)) + (/[1-9]/.test(fraction.slice(3)) ? 1 : 0);
  const zone = m[8] ?? 'Z';
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const [oh, om] = zone.slice(1).split(':').map(Number) as [number, number];
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const at = local + ms - offsetMin * 60_000;
  // The stored text compares as a time only in four-digit years.
  if (at < FIRST_MS || at > LAST_MS) return undefined;
  return { tmCreate: new Date(at).toISOString(), id: '' };
}

/**
 * Decode a token from `encodePageToken`, or a VoIPBIN timestamp token ({@link timestampCursor});
 * anything else is a ValidationError on `page_token`.
 */
export function decodePageToken(token: string): PageCursor {
  const at = timestampCursor(token);
  if (at) return at;
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [tmCreate, id] = parsed as unknown[];
  if (
    typeof tmCreate !== 'string' ||
    !ISO_RE.test(tmCreate) ||
    typeof id !== 'string' ||
    id.length === 0 ||
    id.length > 64
  ) {
    throw invalid();
  }
  return { tmCreate, id };
}
