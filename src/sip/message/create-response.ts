import { SipHeaders } from './headers.ts';
import { parseNameAddr } from './name-addr.ts';
import { reasonPhrase } from './reason-phrase.ts';
import type { SipRequest, SipResponse } from './types.ts';

/** Extras for `createResponse`. */
export interface CreateResponseOptions {
  /** Added to To when the request's To has no tag (a UAS creating or confirming a dialog). */
  toTag?: string;
  /** Further header lines, appended in order. */
  headers?: [string, string][];
  body?: Buffer;
  /** Content-Type of `body`. */
  contentType?: string;
}

function toWithTag(to: string, toTag: string | undefined): string {
  if (toTag === undefined || parseNameAddr(to).params.has('tag')) return to;
  return `${to};tag=${toTag}`;
}

/**
 * A response to `req` per RFC 3261 §8.2.6.2: every Via in order, From, To (tagged when asked),
 * Call-ID and CSeq copied; Record-Route copied on dialog-creating responses to INVITE (§12.1.1);
 * Timestamp echoed on 100 (§8.2.6.1).
 */
export function createResponse(
  req: SipRequest,
  status: number,
  reason?: string,
  opts: CreateResponseOptions = {},
): SipResponse {
  const src = req.headers;
  const headers = new SipHeaders();
  for (const via of src.getAll('via')) headers.append('Via', via);
  const from = src.get('from');
  if (from !== undefined) headers.append('From', from);
  const to = src.get('to');
  if (to !== undefined) headers.append('To', toWithTag(to, opts.toTag));
  const callId = src.get('call-id');
  if (callId !== undefined) headers.append('Call-ID', callId);
  const cseq = src.get('cseq');
  if (cseq !== undefined) headers.append('CSeq', cseq);
  if (req.method === 'INVITE' && status > 100 && status < 300) {
    for (const rr of src.getAll('record-route')) headers.append('Record-Route', rr);
  }
  const timestamp = src.get('timestamp');
  if (status === 100 && timestamp !== undefined) headers.append('Timestamp', timestamp);
  for (const [name, value] of opts.headers ?? []) headers.append(name, value);
  const body = opts.body ?? Buffer.alloc(0);
  if (opts.contentType !== undefined) headers.append('Content-Type', opts.contentType);
  return { kind: 'response', status, reason: reason ?? reasonPhrase(status), headers, body };
}
