import { formatParams, parseParams } from './params.ts';
import { SipParseError } from './sip-parse-error.ts';
import type { SipParams, SipUri } from './types.ts';

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const HOSTNAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9.])?$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+$/;
// RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved ); everything else is escaped.
const USER_SAFE_RE = /[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/gu;
const PASSWORD_SAFE_RE = /[^A-Za-z0-9\-_.!~*'()&=+$,]/gu;

function unescapePart(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    // Escapes that are not UTF-8 (RFC 3261 allows any octet): keep them octet by octet.
    return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

function escapePart(s: string, unsafe: RegExp): string {
  return s.replace(unsafe, (ch) => {
    const bytes = ch.charCodeAt(0) < 0x80 ? [ch.charCodeAt(0)] : [...Buffer.from(ch, 'utf8')];
    return bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  });
}

/** Parse `host` or `host:port`, IPv6 in brackets (RFC 3261 §25.1 hostport). */
export function parseHostPort(s: string, what: string): { host: string; port?: number } {
  let host: string;
  let rest: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) throw new SipParseError(`${what}: unterminated IPv6 reference`);
    host = s.slice(1, close);
    if (!IPV6_RE.test(host) || !host.includes(':')) throw new SipParseError(`${what}: bad IPv6 address`);
    rest = s.slice(close + 1);
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    rest = colon < 0 ? '' : s.slice(colon);
    if (!HOSTNAME_RE.test(host)) throw new SipParseError(`${what}: bad host '${host}'`);
  }
  if (rest === '') return { host };
  if (!/^:\d{1,5}$/.test(rest)) throw new SipParseError(`${what}: bad port '${rest}'`);
  const port = Number(rest.slice(1));
  if (port > 65535) throw new SipParseError(`${what}: port out of range`);
  return { host, port };
}

/** `host[:port]`, bracketing IPv6 hosts. */
export function formatHostPort(host: string, port: number | undefined): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? h : `${h}:${port}`;
}

function parseUriHeaders(s: string): SipParams {
  const headers: SipParams = new Map();
  for (const part of s.split('&')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (name === '') throw new SipParseError('uri: empty header name');
    headers.set(name, eq < 0 ? null : part.slice(eq + 1));
  }
  return headers;
}

/**
 * Parse a SIP/SIPS URI (RFC 3261 §19.1) into its parts; the user and password are unescaped.
 * Other schemes (`tel:`, `urn:`) keep everything after the colon as `opaque`.
 */
export function parseUri(s: string): SipUri {
  const colon = s.indexOf(':');
  const scheme = colon < 0 ? '' : s.slice(0, colon);
  if (!SCHEME_RE.test(scheme)) throw new SipParseError(`uri: bad scheme in '${s}'`);
  if (/[\s<>"]/.test(s)) throw new SipParseError(`uri: illegal character in '${s}'`);
  const lower = scheme.toLowerCase();
  if (lower !== 'sip' && lower !== 'sips') {
    if (colon === s.length - 1) throw new SipParseError(`uri: empty ${scheme} URI`);
    return { scheme, host: '', params: new Map(), headers: new Map(), opaque: s.slice(colon + 1) };
  }
  let rest = s.slice(colon + 1);
  const uri: SipUri = { scheme: lower, host: '', params: new Map(), headers: new Map() };
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const pw = userinfo.indexOf(':');
    const user = pw < 0 ? userinfo : userinfo.slice(0, pw);
    if (user === '') throw new SipParseError(`uri: empty user in '${s}'`);
    uri.user = unescapePart(user);
    if (pw >= 0) uri.password = unescapePart(userinfo.slice(pw + 1));
    rest = rest.slice(at + 1);
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    uri.headers = parseUriHeaders(rest.slice(q + 1));
    rest = rest.slice(0, q);
  }
  const semi = rest.indexOf(';');
  const hp = parseHostPort(semi < 0 ? rest : rest.slice(0, semi), 'uri');
  uri.host = hp.host;
  if (hp.port !== undefined) uri.port = hp.port;
  if (semi >= 0) uri.params = parseParams(rest, semi, 'uri');
  return uri;
}

/** The textual form of a URI, escaping the user part as RFC 3261 §25.1 requires. */
export function formatUri(u: SipUri): string {
  if (u.opaque !== undefined) return `${u.scheme}:${u.opaque}`;
  let out = `${u.scheme}:`;
  if (u.user !== undefined) {
    out += escapePart(u.user, USER_SAFE_RE);
    if (u.password !== undefined) out += `:${escapePart(u.password, PASSWORD_SAFE_RE)}`;
    out += '@';
  }
  out += formatHostPort(u.host, u.port) + formatParams(u.params);
  if (u.headers.size > 0) {
    out += `?${[...u.headers].map(([n, v]) => (v === null ? n : `${n}=${v}`)).join('&')}`;
  }
  return out;
}
