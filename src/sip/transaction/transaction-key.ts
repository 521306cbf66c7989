import { BRANCH_MAGIC_COOKIE, SipParseError, getCSeq, getCallId, getTag, parseVia } from '../message/index.ts';
import type { SipMessage, SipRequest } from '../message/index.ts';

function topVia(msg: SipMessage): ReturnType<typeof parseVia> {
  const top = msg.headers.get('via');
  if (top === undefined) throw new SipParseError('message without Via');
  return parseVia(top);
}

/**
 * RFC 3261 §17.1.3: a response matches the client transaction whose request had the same
 * top-Via branch and CSeq method. Throws on a message without a usable Via or CSeq.
 */
export function clientKey(msg: SipMessage): string {
  const branch = topVia(msg).params.get('branch');
  if (!branch) throw new SipParseError('top Via without branch');
  return `${branch}|${getCSeq(msg).method}`;
}

/**
 * RFC 3261 §17.2.3: a request matches the server transaction with the same top-Via branch,
 * sent-by and method, where an ACK counts as its INVITE. `asMethod` overrides the method
 * (a CANCEL looks for its INVITE). RFC 2543 peers without the magic cookie are matched
 * simply by Call-ID, CSeq number, From tag and sent-by.
 */
export function serverKey(req: SipRequest, asMethod?: string): string {
  const via = topVia(req);
  const sentBy = `${via.host}:${via.port ?? ''}`;
  const method = asMethod ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  const branch = via.params.get('branch');
  if (branch?.startsWith(BRANCH_MAGIC_COOKIE)) return `${branch}|${sentBy}|${method}`;
  return `2543|${getCallId(req)}|${getCSeq(req).seq}|${getTag(req.headers, 'from') ?? ''}|${sentBy}|${method}`;
}
