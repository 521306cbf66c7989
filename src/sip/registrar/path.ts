import { parseNameAddr, splitHeaderList } from '../message/index.ts';
import type { SipRequest } from '../message/index.ts';

/** True when the REGISTER names `path` in Supported (RFC 3327 §5.3). */
export function supportsPath(req: SipRequest): boolean {
  return req.headers.getAll('supported').some((tag) => tag.trim().toLowerCase() === 'path');
}

/**
 * The Path header values of a REGISTER, in order (RFC 3327 §5.3): kept only when the request says
 * `Supported: path` — otherwise the registrar ignores Path, as §5.3 allows — and each one must be a
 * SIP name-addr. Undefined when a kept value is malformed.
 */
export function registeredPath(req: SipRequest): string[] | undefined {
  if (!supportsPath(req)) return [];
  const values = req.headers
    .getAll('path')
    .flatMap((line) => splitHeaderList(line))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  for (const value of values) {
    try {
      const { uri } = parseNameAddr(value);
      if (uri.scheme !== 'sip' && uri.scheme !== 'sips') return undefined;
    } catch {
      return undefined;
    }
  }
  return values;
}
