import { isWhitespace, formatParams, parseParams, skipWhitespace } from './params.ts';
import { SipParseError } from './sip-parse-error.ts';
import { formatHostPort, parseHostPort } from './uri.ts';
import type { Via } from './types.ts';

/**
 * Parse one Via element: `SIP/2.0/UDP host:port;branch=…` with whitespace allowed around the
 * slashes and before the parameters (RFC 3261 §20.42, §25.1 SLASH = SWS "/" SWS).
 */
export function parseVia(s: string): Via {
  const parts = s.split('/', 3);
  if (parts.length < 3 || parts[0]!.trim().toUpperCase() !== 'SIP' || parts[1]!.trim() !== '2.0') {
    throw new SipParseError(`via: bad sent-protocol in '${s}'`);
  }
  const after = s.slice(parts[0]!.length + parts[1]!.length + 2);
  let i = skipWhitespace(after, 0);
  const tStart = i;
  while (i < after.length && !isWhitespace(after.charCodeAt(i))) i++;
  const transport = after.slice(tStart, i).toUpperCase();
  if (!/^[A-Z0-9\-.!%*_+`'~]+$/.test(transport)) throw new SipParseError(`via: bad transport in '${s}'`);
  i = skipWhitespace(after, i);
  const hStart = i;
  if (after.charCodeAt(i) === 0x5b) i = after.indexOf(']', i) + 1 || after.length;
  while (i < after.length && after.charCodeAt(i) !== 0x3b && !isWhitespace(after.charCodeAt(i))) i++;
  const { host, port } = parseHostPort(after.slice(hStart, i), 'via');
  const via: Via = { transport, host, params: parseParams(after, i, 'via') };
  if (port !== undefined) via.port = port;
  return via;
}

/** `SIP/2.0/UDP host:port;params`. */
export function formatVia(v: Via): string {
  return `SIP/2.0/${v.transport} ${formatHostPort(v.host, v.port)}${formatParams(v.params)}`;
}
