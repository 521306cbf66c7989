import { formatUri, parseNameAddr, parseUri } from '../message/index.ts';
import type { SipRequest, SipUri } from '../message/index.ts';

/** Bounds on binding lifetimes (RFC 3261 §10.3 step 6). */
export interface ExpiryLimits {
  /** Shorter non-zero requests are refused with 423 and this Min-Expires. */
  minExpiresSec: number;
  /** Longer requests are shortened to this. */
  maxExpiresSec: number;
  /** Used when neither the Contact `expires` parameter nor an Expires header says. */
  defaultExpiresSec: number;
}

/** One Contact of a REGISTER with the lifetime granted to it. */
export interface RequestedContact {
  /** The contact URI as stored (`formatUri` of what the phone sent, header parameters dropped). */
  contact: string;
  uri: SipUri;
  /** 0 removes the binding. */
  expiresSec: number;
}

/** What a REGISTER asks for: list the bindings, remove all (`*`), or add/refresh/remove contacts. */
export type ContactUpdate =
  | { kind: 'query' }
  | { kind: 'wildcard' }
  | { kind: 'contacts'; contacts: RequestedContact[] };

/** A REGISTER refused before touching any binding. */
export interface ContactRefusal {
  kind: 'refused';
  status: 400 | 423;
  reason: string;
  headers: [string, string][];
}

function deltaSeconds(value: string | null | undefined): number | undefined {
  if (value === undefined || value === null || !/^\s*\d{1,10}\s*$/.test(value)) return undefined;
  return Number(value.trim());
}

function badRequest(reason: string): ContactRefusal {
  return { kind: 'refused', status: 400, reason, headers: [] };
}

/**
 * Read the Contact and Expires header fields of a REGISTER (RFC 3261 §10.3 step 6): the `expires`
 * parameter wins over the Expires header, which wins over the default; `*` needs Expires 0 and
 * no other contact; a non-zero lifetime below the minimum is refused with 423.
 */
export function parseContactUpdate(req: SipRequest, limits: ExpiryLimits): ContactUpdate | ContactRefusal {
  const values = req.headers.getAll('contact');
  if (values.length === 0) return { kind: 'query' };
  const headerExpires = deltaSeconds(req.headers.get('expires'));
  if (values.some((v) => v.trim() === '*')) {
    if (values.length !== 1 || headerExpires !== 0)
      return badRequest('Contact * needs Expires: 0 and no other contact');
    return { kind: 'wildcard' };
  }
  const contacts: RequestedContact[] = [];
  for (const value of values) {
    let uri: SipUri;
    let paramExpires: number | undefined;
    try {
      const na = parseNameAddr(value);
      uri = na.uri;
      paramExpires = deltaSeconds(na.params.get('expires'));
    } catch {
      return badRequest('Malformed Contact');
    }
    if (uri.scheme !== 'sip' && uri.scheme !== 'sips') return badRequest('Unsupported Contact URI scheme');
    const requested = paramExpires ?? headerExpires ?? limits.defaultExpiresSec;
    if (requested !== 0 && requested < limits.minExpiresSec) {
      return {
        kind: 'refused',
        status: 423,
        reason: 'Interval Too Brief',
        headers: [['Min-Expires', String(limits.minExpiresSec)]],
      };
    }
    contacts.push({ contact: formatUri(uri), uri, expiresSec: Math.min(requested, limits.maxExpiresSec) });
  }
  return { kind: 'contacts', contacts };
}

function comparable(uri: SipUri): string {
  const params = [...uri.params].map(([k, v]) => `${k.toLowerCase()}=${(v ?? '').toLowerCase()}`).sort();
  return [uri.scheme.toLowerCase(), uri.user ?? '', uri.host.toLowerCase(), uri.port ?? '', ...params].join('|');
}

/**
 * RFC 3261 §19.1.4 URI equivalence, simplified to what phones vary: scheme, host and parameter
 * names are case-insensitive and parameter order does not matter; the user part is exact.
 */
export function sameContact(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return comparable(parseUri(a)) === comparable(parseUri(b));
  } catch {
    return false;
  }
}
