/** The parameters of one `Digest …` header value, names lower-cased, values unquoted. */
export interface DigestParams {
  scheme: string;
  params: Map<string, string>;
}

const PARAM_RE = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/y;

/**
 * Parse `Digest realm="x", nonce="y", qop=auth` (RFC 7616 §3.3/§3.4: auth-params, quoted or
 * token, in any order). Returns undefined when the value is not of that shape.
 */
export function parseDigestParams(value: string): DigestParams | undefined {
  const m = /^\s*([A-Za-z0-9_-]+)\s+/.exec(value);
  if (!m) return undefined;
  const params = new Map<string, string>();
  PARAM_RE.lastIndex = m[0].length;
  while (PARAM_RE.lastIndex < value.length) {
    const start = PARAM_RE.lastIndex;
    const p = PARAM_RE.exec(value);
    if (!p || PARAM_RE.lastIndex === start) return undefined;
    const quoted = p[2];
    params.set(p[1]!.toLowerCase(), quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (p[3] ?? ''));
  }
  return { scheme: m[1]!, params };
}

/** `"value"` with `"` and `\` escaped (RFC 7616 quoted-string). */
export function quoteParam(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}
