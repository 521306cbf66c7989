import { ValidationError } from '../../shared/index.ts';
import { formatHostPort, formatNameAddr, parseNameAddr, parseUri } from '../message/index.ts';
import { defaultPort } from '../transport/index.ts';
import type { SendDestination, TransportProtocol } from '../transport/index.ts';

/** One address where this UA listens; its Contact and Via use it for that transport. */
export interface LocalContact {
  host: string;
  port: number;
  transport: TransportProtocol;
}

const PROTOCOLS: ReadonlySet<string> = new Set<TransportProtocol>(['UDP', 'TCP', 'TLS', 'WS', 'WSS']);

/**
 * RFC 3263 without DNS: where a request for `uri` goes — the `transport` parameter (TLS for
 * sips), the host and the port or the transport's default. Throws ValidationError for a non-SIP URI.
 */
export function destinationForUri(uri: string): SendDestination {
  const parsed = parseUri(uri);
  if (parsed.scheme !== 'sip' && parsed.scheme !== 'sips') {
    throw ValidationError.field('uri', 'UNSUPPORTED_URI', `cannot route to a ${parsed.scheme} URI`);
  }
  const param = parsed.params.get('transport')?.toUpperCase();
  const transport = (
    param !== undefined && PROTOCOLS.has(param) ? param : parsed.scheme === 'sips' ? 'TLS' : 'UDP'
  ) as TransportProtocol;
  return { transport, host: parsed.host, port: parsed.port ?? defaultPort(transport) };
}

/** True when a Route value is a loose router (`;lr`, RFC 3261 §16.12.1.1). */
export function isLooseRoute(route: string): boolean {
  return parseNameAddr(route).uri.params.has('lr');
}

/** Our Contact header value for `local`: `<sip:user@host:port;transport=tcp>`. */
export function formatContact(user: string, local: LocalContact): string {
  const scheme = local.transport === 'TLS' || local.transport === 'WSS' ? 'sips' : 'sip';
  const param = local.transport === 'UDP' ? '' : `;transport=${local.transport.toLowerCase()}`;
  return `<${scheme}:${user}@${formatHostPort(local.host, local.port)}${param}>`;
}

/** A name-addr for a From/To value given as a URI or a name-addr, without any tag. */
export function toNameAddr(value: string): string {
  const parsed = parseNameAddr(value);
  parsed.params.delete('tag');
  return formatNameAddr(parsed);
}
