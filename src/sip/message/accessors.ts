import { parseCSeq } from './cseq.ts';
import { parseNameAddr } from './name-addr.ts';
import { SipParseError } from './sip-parse-error.ts';
import { parseVia } from './via.ts';
import type { SipHeaders } from './headers.ts';
import type { CSeq, SipMessage } from './types.ts';

/** The `tag` parameter of the From or To header, if present; throws SipParseError on a malformed header. */
export function getTag(headers: SipHeaders, which: 'from' | 'to'): string | undefined {
  const value = headers.get(which);
  if (value === undefined) return undefined;
  return parseNameAddr(value).params.get('tag') ?? undefined;
}

/** The branch parameter of the top Via (RFC 3261 §17.2.3 transaction key); throws on a malformed Via. */
export function getBranch(msg: SipMessage): string | undefined {
  const top = msg.headers.get('via');
  if (top === undefined) return undefined;
  return parseVia(top).params.get('branch') ?? undefined;
}

/** The Call-ID; throws SipParseError when missing. */
export function getCallId(msg: SipMessage): string {
  const id = msg.headers.get('call-id');
  if (id === undefined || id === '') throw new SipParseError('missing Call-ID');
  return id;
}

/** The parsed CSeq; throws SipParseError when missing or malformed. */
export function getCSeq(msg: SipMessage): CSeq {
  const value = msg.headers.get('cseq');
  if (value === undefined) throw new SipParseError('missing CSeq');
  return parseCSeq(value);
}
