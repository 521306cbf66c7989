import { SipParseError } from './sip-parse-error.ts';
import type { SipParams } from './types.ts';

const SP = 0x20;
const HTAB = 0x09;
const SEMI = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/** True for RFC 3261 whitespace (SP / HTAB / CR / LF) at `code`. */
export function isWhitespace(code: number): boolean {
  return code === SP || code === HTAB || code === 0x0d || code === 0x0a;
}

/** Index of the first non-whitespace character at or after `i`. */
export function skipWhitespace(s: string, i: number): number {
  while (i < s.length && isWhitespace(s.charCodeAt(i))) i++;
  return i;
}

/** Index just past the closing quote of the quoted-string opening at `start`, or -1 when unterminated. */
export function endOfQuoted(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === DQUOTE) return i + 1;
  }
  return -1;
}

/**
 * Parse `;name=value` parameters starting at `start` (which must be `;` or the end), allowing
 * whitespace around `;` and `=` (RFC 3261 §25.1 SEMI and EQUAL carry SWS). Names are
 * lower-cased (they compare case-insensitively); values keep their quotes; a flag is null.
 */
export function parseParams(s: string, start: number, what: string): SipParams {
  const params: SipParams = new Map();
  let i = skipWhitespace(s, start);
  while (i < s.length) {
    if (s.charCodeAt(i) !== SEMI) throw new SipParseError(`${what}: expected ';' at ${i}`);
    i = skipWhitespace(s, i + 1);
    const nameStart = i;
    while (i < s.length && !isWhitespace(s.charCodeAt(i)) && s.charCodeAt(i) !== EQUALS && s.charCodeAt(i) !== SEMI)
      i++;
    const name = s.slice(nameStart, i).toLowerCase();
    if (name === '') throw new SipParseError(`${what}: empty parameter name`);
    i = skipWhitespace(s, i);
    let value: string | null = null;
    if (s.charCodeAt(i) === EQUALS) {
      i = skipWhitespace(s, i + 1);
      const valueStart = i;
      if (s.charCodeAt(i) === DQUOTE) {
        i = endOfQuoted(s, i);
        if (i < 0) throw new SipParseError(`${what}: unterminated quoted parameter ${name}`);
      } else {
        while (i < s.length && !isWhitespace(s.charCodeAt(i)) && s.charCodeAt(i) !== SEMI) i++;
      }
      value = s.slice(valueStart, i);
      if (value === '') throw new SipParseError(`${what}: empty value for parameter ${name}`);
      i = skipWhitespace(s, i);
    }
    params.set(name, value);
  }
  return params;
}

/** `;name=value;flag` for a parameter map. */
export function formatParams(params: SipParams): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

/** The value of a quoted-string without its quotes and with `\x` escapes resolved. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== DQUOTE || s.charCodeAt(s.length - 1) !== DQUOTE) return s;
  return s.slice(1, -1).replace(/\\(.)/gs, '$1');
}

/** `s` as a quoted-string, escaping `"` and `\` (RFC 3261 §25.1 quoted-pair). */
export function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}
