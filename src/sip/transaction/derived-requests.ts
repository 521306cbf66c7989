import { SipHeaders, getCSeq } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';

/**
 * Headers shared by the ACK and the CANCEL an INVITE client transaction derives from its
 * INVITE: the top Via only (same branch), From, Call-ID, Route, CSeq number with `method`.
 */
function derivedHeaders(invite: SipRequest, to: string | undefined, method: string): SipHeaders {
  const headers = new SipHeaders();
  const copy = (name: string, value: string | undefined): void => {
    if (value !== undefined) headers.append(name, value);
  };
  copy('Via', invite.headers.get('via'));
  copy('From', invite.headers.get('from'));
  copy('To', to);
  copy('Call-ID', invite.headers.get('call-id'));
  headers.append('CSeq', `${getCSeq(invite).seq} ${method}`);
  for (const route of invite.headers.getAll('route')) headers.append('Route', route);
  headers.append('Max-Forwards', '70');
  headers.append('Content-Length', '0');
  return headers;
}

/** RFC 3261 §17.1.1.3: the ACK a client transaction sends for a 300–699 answer to its INVITE. */
export function buildAckForNon2xx(invite: SipRequest, res: SipResponse): SipRequest {
  const headers = derivedHeaders(invite, res.headers.get('to'), 'ACK');
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}

/** RFC 3261 §9.1: the CANCEL for a pending INVITE (same Request-URI, branch, To and CSeq number). */
export function buildCancel(invite: SipRequest): SipRequest {
  const headers = derivedHeaders(invite, invite.headers.get('to'), 'CANCEL');
  return { kind: 'request', method: 'CANCEL', uri: invite.uri, headers, body: Buffer.alloc(0) };
}
