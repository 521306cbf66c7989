import { ValidationError } from '../../shared/index.ts';
import { formatHostPort, formatNameAddr, formatUri, parseNameAddr, parseUri } from '../message/index.ts';
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

/** An out-of-dialog request's Request-URI, Route values and next hop once a route set is pre-loaded. */
export interface PreloadedRoute {
  requestUri: string;
  routes: string[];
  destination: SendDestination;
}

/**
 * RFC 3261 §8.1.2: a request with a pre-loaded route set (RFC 3327 §5.3: the Path of the callee's
 * registration) goes to the first route; as in a dialog (§12.2.1.1), a loose router keeps the
 * Request-URI, a strict one gets it replaced by its own URI and the target goes last in Route.
 */
export function preloadedRoute(requestUri: string, routes: readonly string[]): PreloadedRoute {
  const first = routes[0];
  if (first === undefined) return { requestUri, routes: [], destination: destinationForUri(requestUri) };
  const uri = parseNameAddr(first).uri;
  uri.headers.clear();
  const firstUri = formatUri(uri);
  const destination = destinationForUri(firstUri);
  if (uri.params.has('lr')) return { requestUri, routes: [...routes], destination };
  return { requestUri: firstUri, routes: [...routes.slice(1), `<${requestUri}>`], destination };
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
