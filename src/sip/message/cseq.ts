import { SipParseError } from './sip-parse-error.ts';
import type { CSeq } from './types.ts';

const CSEQ_RE = /^\s*(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\s*$/;

/** Parse `314159 INVITE`; the number must be below 2^31 (RFC 3261 §8.1.1.5). */
export function parseCSeq(s: string): CSeq {
  const m = CSEQ_RE.exec(s);
  if (!m) throw new SipParseError(`cseq: malformed '${s}'`);
  const seq = Number(m[1]);
  if (seq > 0x7fffffff) throw new SipParseError(`cseq: sequence number out of range '${m[1]}'`);
  return { seq, method: m[2]! };
}
