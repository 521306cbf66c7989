import { SipParseError, formatVia, parseVia } from '../message/index.ts';
import type { SipRequest } from '../message/index.ts';
import type { MessageSource } from './transport-types.ts';

/**
 * RFC 3261 §18.2.1 and RFC 3581 §4: note on the top Via where a request really came from —
 * `received` when the sent-by host differs from the source address (or when rport is asked
 * for), and the source port in an empty `rport`. Throws SipParseError without a usable Via.
 */
export function stampReceived(req: SipRequest, source: MessageSource): void {
  const top = req.headers.get('via');
  if (top === undefined) throw new SipParseError('request without Via');
  const via = parseVia(top);
  const wantsRport = via.params.has('rport') && !via.params.get('rport');
  if (!wantsRport && via.host === source.address) return;
  via.params.set('received', source.address);
  if (wantsRport) via.params.set('rport', String(source.port));
  req.headers.shift('via');
  req.headers.prepend('Via', formatVia(via));
}
