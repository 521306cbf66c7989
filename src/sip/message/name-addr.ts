import { endOfQuoted, formatParams, parseParams, quote, skipWhitespace, unquote } from './params.ts';
import { SipParseError } from './sip-parse-error.ts';
import { formatUri, parseUri } from './uri.ts';
import type { NameAddr } from './types.ts';

// RFC 3261 §25.1: token characters, and LWS between tokens, make an unquoted display-name.
const TOKEN_DISPLAY_RE = /^[A-Za-z0-9\-.!%*_+`'~]+(?:[ \t]+[A-Za-z0-9\-.!%*_+`'~]+)*$/;
const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

function parseBracketed(s: string, lt: number, displayName: string | undefined): NameAddr {
  const gt = s.indexOf('>', lt + 1);
  if (gt < 0) throw new SipParseError(`name-addr: missing '>' in '${s}'`);
  const na: NameAddr = { uri: parseUri(s.slice(lt + 1, gt)), params: parseParams(s, gt + 1, 'name-addr') };
  if (displayName !== undefined) na.displayName = displayName;
  return na;
}

/**
 * Parse a From/To/Contact/Route value: `"Display" <uri>;params`, `Token Name <uri>`, or an
 * addr-spec without brackets whose `;params` belong to the header (RFC 3261 §20.10); `*` is the
 * Contact wildcard.
 */
export function parseNameAddr(s: string): NameAddr {
  const v = s.trim();
  if (v === '*')
    return { uri: { scheme: '', host: '*', params: new Map(), headers: new Map() }, params: new Map(), wildcard: true };
  if (v.charCodeAt(0) === 0x22) {
    const end = endOfQuoted(v, 0);
    if (end < 0) throw new SipParseError(`name-addr: unterminated display name in '${s}'`);
    const lt = skipWhitespace(v, end);
    if (v.charCodeAt(lt) !== 0x3c) throw new SipParseError(`name-addr: expected '<' after display name in '${s}'`);
    return parseBracketed(v, lt, unquote(v.slice(0, end)));
  }
  const lt = v.indexOf('<');
  if (lt >= 0) {
    const name = v.slice(0, lt).trim();
    if (name !== '' && !TOKEN_DISPLAY_RE.test(name)) throw new SipParseError(`name-addr: bad display name '${name}'`);
    return parseBracketed(v, lt, name === '' ? undefined : name);
  }
  // RFC 3261 §20.10: without brackets the URI cannot hold ',', '?' or ';', so ';' starts header params.
  const semi = v.indexOf(';');
  const spec = semi < 0 ? v : v.slice(0, semi);
  if (/[?,]/.test(spec)) throw new SipParseError(`name-addr: addr-spec with '?' or ',' must be in <>: '${s}'`);
  return { uri: parseUri(spec.trim()), params: semi < 0 ? new Map() : parseParams(v, semi, 'name-addr') };
}

/** `"Display" <uri>;params` (always bracketed, so URI parameters stay with the URI). */
export function formatNameAddr(n: NameAddr): string {
  if (n.wildcard) return '*';
  let out = '';
  if (n.displayName !== undefined && n.displayName !== '') {
    out = TOKEN_RE.test(n.displayName) ? `${n.displayName} ` : `${quote(n.displayName)} `;
  }
  return `${out}<${formatUri(n.uri)}>${formatParams(n.params)}`;
}
