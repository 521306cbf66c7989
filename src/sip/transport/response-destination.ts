import { SipParseError, parseVia } from '../message/index.ts';
import type { SipResponse } from '../message/index.ts';
import { defaultPort, isReliable } from './transport-types.ts';
import type { MessageSource, SendDestination, TransportProtocol } from './transport-types.ts';

const PROTOCOLS: ReadonlySet<string> = new Set<TransportProtocol>(['UDP', 'TCP', 'TLS', 'WS', 'WSS']);

/**
 * RFC 3261 §18.2.2 with RFC 3581 §4: where a response goes — back over the request's
 * connection on reliable transports, else to `received` (or the sent-by host) at `rport`
 * (or the sent-by port). `maddr` is not honoured: callbin does not do multicast.
 */
export function responseDestination(res: SipResponse, source?: MessageSource): SendDestination {
  const top = res.headers.get('via');
  if (top === undefined) throw new SipParseError('response without Via');
  const via = parseVia(top);
  if (!PROTOCOLS.has(via.transport)) throw new SipParseError(`unsupported Via transport ${via.transport}`);
  const transport = via.transport as TransportProtocol;
  if (source && isReliable(source.transport) && source.connectionId !== undefined) {
    return { transport: source.transport, host: source.address, port: source.port, connectionId: source.connectionId };
  }
  const received = via.params.get('received');
  const rport = via.params.get('rport');
  const host = received ? received : via.host;
  const port = rport ? Number(rport) : (via.port ?? defaultPort(transport));
  return { transport, host, port };
}
