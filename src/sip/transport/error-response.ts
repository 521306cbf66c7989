import { SipParseError, createResponse, parseMessage } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';

/**
 * The error response owed to a request that could not be accepted: `status` (or the parse
 * error's own, 400/505) built from what was understood. Undefined when there is nothing to
 * answer: a response, an ACK (RFC 3261 §17.2.1), or no Via to route the answer by.
 */
export function errorResponseFor(bytes: Buffer, status?: number): SipResponse | undefined {
  let req: SipRequest;
  let parsedStatus = 400;
  try {
    const msg = parseMessage(bytes);
    if (msg.kind !== 'request') return undefined;
    req = msg;
  } catch (err) {
    if (!(err instanceof SipParseError) || !err.partial || err.partial.method === undefined) return undefined;
    req = { kind: 'request', method: err.partial.method, uri: '', headers: err.partial.headers, body: Buffer.alloc(0) };
    parsedStatus = err.status;
  }
  if (req.method === 'ACK' || !req.headers.has('via')) return undefined;
  return createResponse(req, status ?? parsedStatus);
}
