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

/** Decode a token from `encodePageToken`; anything else is a ValidationError on `page_token`. */
export function decodePageToken(token: string): PageCursor {
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
