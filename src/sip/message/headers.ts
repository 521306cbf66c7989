// RFC 3261 §7.3.3: compact header forms.
const COMPACT = new Map<string, string>([
  ['i', 'call-id'],
  ['m', 'contact'],
  ['e', 'content-encoding'],
  ['l', 'content-length'],
  ['c', 'content-type'],
  ['f', 'from'],
  ['s', 'subject'],
  ['k', 'supported'],
  ['t', 'to'],
  ['v', 'via'],
  ['o', 'event'],
  ['r', 'refer-to'],
  ['b', 'referred-by'],
  ['u', 'allow-events'],
  ['x', 'session-expires'],
  ['a', 'accept-contact'],
  ['j', 'reject-contact'],
  ['d', 'request-disposition'],
  ['y', 'identity'],
]);

// Header names repeat from message to message; caching their normal form keeps parsing cheap.
// The cap stops a peer that invents names from growing the cache without bound.
const NORMALIZED_CACHE = new Map<string, string>();
const NORMALIZED_CACHE_MAX = 2000;

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  www_authenticate: 'WWW-Authenticate',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  rack: 'RAck',
  rseq: 'RSeq',
};

// RFC 3261 §7.3.1: headers whose values are comma-separated lists (not the auth headers,
// whose single value contains commas).
const LIST_HEADERS = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'allow',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-encoding',
  'allow-events',
  'in-reply-to',
  'alert-info',
  'call-info',
  'error-info',
  'reply-to',
]);

/** Lower-case, compact-form-expanded header name used for lookups. */
export function normalizeHeaderName(name: string): string {
  const cached = NORMALIZED_CACHE.get(name);
  if (cached !== undefined) return cached;
  const lower = name.toLowerCase();
  const key = COMPACT.get(lower) ?? lower;
  if (NORMALIZED_CACHE.size < NORMALIZED_CACHE_MAX) NORMALIZED_CACHE.set(name, key);
  return key;
}

/** The conventional spelling of a header name (`call-id` → `Call-ID`). */
export function canonicalHeaderName(name: string): string {
  const key = normalizeHeaderName(name);
  const known = CANONICAL[key];
  if (known) return known;
  return key.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
}

/**
 * Split a header value on commas that are outside quoted strings and angle brackets.
 * Used for list headers such as Via, Contact and Route.
 */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (inQuote) {
      if (ch === 0x5c)
        i++; // backslash escapes the next char inside a quoted string
      else if (ch === 0x22) inQuote = false;
    } else if (ch === 0x22) inQuote = true;
    else if (ch === 0x3c) depthAngle++;
    else if (ch === 0x3e) depthAngle = Math.max(0, depthAngle - 1);
    else if (ch === 0x2c && depthAngle === 0) {
      const part = value.slice(start, i).trim();
      if (part) out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last) out.push(last);
  return out;
}

/**
 * The header fields of a SIP message, in wire order. Lookups are case-insensitive and
 * understand compact forms (`v` is Via). Each stored entry is one header line's value;
 * `getAll` splits list headers (Via, Contact, Route…) into their elements.
 */
export class SipHeaders {
  /** [normalized name, name as written, value] per header line, in order. */
  #entries: [string, string, string][] = [];

  /** Build from `[name, value]` pairs. */
  static from(pairs: Iterable<readonly [string, string]>): SipHeaders {
    const h = new SipHeaders();
    for (const [n, v] of pairs) h.append(n, v);
    return h;
  }

  /** Number of header lines. */
  get size(): number {
    return this.#entries.length;
  }

  /** True when at least one line of `name` is present. */
  has(name: string): boolean {
    const key = normalizeHeaderName(name);
    for (const e of this.#entries) if (e[0] === key) return true;
    return false;
  }

  /** The first value of `name` (for list headers: the first element), or undefined. */
  get(name: string): string | undefined {
    const key = normalizeHeaderName(name);
    for (const e of this.#entries) {
      if (e[0] === key) return LIST_HEADERS.has(key) ? splitHeaderList(e[2])[0] : e[2];
    }
    return undefined;
  }

  /** Every value of `name`: list headers are split into elements across all their lines. */
  getAll(name: string): string[] {
    const key = normalizeHeaderName(name);
    const out: string[] = [];
    const isList = LIST_HEADERS.has(key);
    for (const e of this.#entries) {
      if (e[0] !== key) continue;
      if (isList) out.push(...splitHeaderList(e[2]));
      else out.push(e[2]);
    }
    return out;
  }

  /** Replace every line of `name` with one line holding `value`, at the first line's position. */
  set(name: string, value: string): this {
    const key = normalizeHeaderName(name);
    const idx = this.#entries.findIndex((e) => e[0] === key);
    this.#entries = this.#entries.filter((e) => e[0] !== key);
    const entry: [string, string, string] = [key, canonicalHeaderName(name), value];
    if (idx < 0) this.#entries.push(entry);
    else this.#entries.splice(idx, 0, entry);
    return this;
  }

  /** Add a line after the existing ones. */
  append(name: string, value: string): this {
    this.#entries.push([normalizeHeaderName(name), name, value]);
    return this;
  }

  /** Add a line before the first line of the same header (e.g. a new top Via), or at the top. */
  prepend(name: string, value: string): this {
    const key = normalizeHeaderName(name);
    const idx = this.#entries.findIndex((e) => e[0] === key);
    const entry: [string, string, string] = [key, canonicalHeaderName(name), value];
    if (idx < 0) this.#entries.unshift(entry);
    else this.#entries.splice(idx, 0, entry);
    return this;
  }

  /** Remove the first element of a list header (e.g. the top Via), keeping the rest. */
  shift(name: string): string | undefined {
    const key = normalizeHeaderName(name);
    const idx = this.#entries.findIndex((e) => e[0] === key);
    if (idx < 0) return undefined;
    const entry = this.#entries[idx]!;
    const parts = LIST_HEADERS.has(key) ? splitHeaderList(entry[2]) : [entry[2]];
    const first = parts.shift();
    if (parts.length === 0) this.#entries.splice(idx, 1);
    else entry[2] = parts.join(', ');
    return first;
  }

  /** Remove every line of `name`. */
  delete(name: string): this {
    const key = normalizeHeaderName(name);
    this.#entries = this.#entries.filter((e) => e[0] !== key);
    return this;
  }

  /** `[name as written, value]` per header line, in order. */
  *entries(): IterableIterator<[string, string]> {
    for (const e of this.#entries) yield [e[1], e[2]];
  }

  /** `[normalized name, name as written, value]` per header line, in order; a read-only view, not a copy. */
  lines(): readonly (readonly [key: string, name: string, value: string])[] {
    return this.#entries;
  }

  /** An independent copy. */
  clone(): SipHeaders {
    const h = new SipHeaders();
    h.#entries = this.#entries.map((e) => [e[0], e[1], e[2]]);
    return h;
  }
}
