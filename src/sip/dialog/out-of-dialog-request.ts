import { SipHeaders } from '../message/index.ts';
import type { SipRequest } from '../message/index.ts';
import { toBody } from './capabilities.ts';
import type { MessageContent } from './message-content.ts';

/** The parts of a request sent outside any dialog (RFC 3261 §8.1.1). */
export interface OutOfDialogRequestInit {
  method: string;
  requestUri: string;
  /** From and To as name-addrs without tags. */
  from: string;
  fromTag: string;
  to: string;
  callId: string;
  seq: number;
  via: string;
  contact?: string;
  content?: MessageContent;
  /** Allow/Supported and the like, before the caller's own headers. */
  extraHeaders?: [string, string][];
}

/** RFC 3261 §8.1.1: a request outside a dialog with every mandatory header. */
export function buildOutOfDialogRequest(init: OutOfDialogRequestInit): SipRequest {
  const headers = new SipHeaders();
  headers.append('Via', init.via);
  headers.append('Max-Forwards', '70');
  headers.append('From', `${init.from};tag=${init.fromTag}`);
  headers.append('To', init.to);
  headers.append('Call-ID', init.callId);
  headers.append('CSeq', `${init.seq} ${init.method}`);
  if (init.contact !== undefined) headers.append('Contact', init.contact);
  for (const [name, value] of init.extraHeaders ?? []) headers.append(name, value);
  for (const [name, value] of init.content?.headers ?? []) headers.append(name, value);
  const body = toBody(init.content?.body);
  if (body.length > 0) headers.append('Content-Type', init.content?.contentType ?? 'application/sdp');
  return { kind: 'request', method: init.method, uri: init.requestUri, headers, body };
}

/** A copy of `req` for a new transaction: fresh Via, next CSeq, and `extra` headers set. */
export function nextAttempt(req: SipRequest, via: string, seq: number, extra: [string, string][]): SipRequest {
  const headers = req.headers.clone();
  headers.set('Via', via);
  headers.set('CSeq', `${seq} ${req.method}`);
  for (const [name, value] of extra) headers.set(name, value);
  return { ...req, headers };
}
