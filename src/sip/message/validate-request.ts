import { parseNameAddr } from './name-addr.ts';
import { SipParseError } from './sip-parse-error.ts';
import { parseUri } from './uri.ts';
import { parseVia } from './via.ts';
import type { SipRequest } from './types.ts';

const NAME_ADDR_HEADERS = ['from', 'to', 'contact', 'route', 'record-route'] as const;

function problem(what: string, err: unknown): string {
  return `${what}: ${err instanceof SipParseError ? err.message : String(err)}`;
}

function checkUris(req: SipRequest): string | undefined {
  try {
    const uri = parseUri(req.uri);
    // RFC 3261 §19.1.1 (table): headers are not allowed in a Request-URI.
    if (uri.headers.size > 0) return 'Request-URI: contains headers';
  } catch (err) {
    return problem('Request-URI', err);
  }
  for (const via of req.headers.getAll('via')) {
    try {
      parseVia(via);
    } catch (err) {
      return problem('Via', err);
    }
  }
  for (const name of NAME_ADDR_HEADERS) {
    for (const value of req.headers.getAll(name)) {
      try {
        parseNameAddr(value);
      } catch (err) {
        return problem(name, err);
      }
    }
  }
  return undefined;
}

function checkScalars(req: SipRequest): string | undefined {
  const maxForwards = req.headers.get('max-forwards');
  // RFC 3261 §20.22: Max-Forwards is an integer 0-255.
  if (maxForwards !== undefined && (!/^\d+$/.test(maxForwards) || Number(maxForwards) > 255)) {
    return `Max-Forwards: out of range '${maxForwards}'`;
  }
  const expires = req.headers.get('expires');
  // RFC 3261 §20.19: delta-seconds, at most 2^32-1.
  if (expires !== undefined && (!/^\d+$/.test(expires) || Number(expires) > 0xffffffff)) {
    return `Expires: out of range '${expires.slice(0, 20)}'`;
  }
  const date = req.headers.get('date');
  // RFC 3261 §20.17: the only time zone allowed is GMT.
  if (date !== undefined && !/ GMT$/.test(date)) return `Date: time zone is not GMT in '${date}'`;
  return undefined;
}

/**
 * Deeper checks of a parsed request than `parseMessage` makes (it stays lazy for speed):
 * Request-URI, Via, name-addr headers and scalar ranges. Returns the first problem found,
 * worded for a 400 reason, or undefined when the request is well formed.
 */
export function validateRequest(req: SipRequest): string | undefined {
  return checkUris(req) ?? checkScalars(req);
}
