import type { SipHeaders } from './headers.ts';

/** A SIP request (RFC 3261 §7.1). `uri` is the Request-URI as written. */
export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

/** A SIP response (RFC 3261 §7.2). */
export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

/** Any SIP message. */
export type SipMessage = SipRequest | SipResponse;

/** A parameter list: `;name=value` pairs; a flag parameter without `=` has value null. */
export type SipParams = Map<string, string | null>;

/** A SIP or SIPS URI (RFC 3261 §19.1), or another absolute URI kept as `opaque`. */
export interface SipUri {
  scheme: string;
  user?: string;
  password?: string;
  /** Host without brackets for IPv6 (`::1`); `formatUri` adds them back. */
  host: string;
  port?: number;
  params: SipParams;
  headers: SipParams;
  /** For non-SIP schemes (tel:, urn:), everything after the colon. */
  opaque?: string;
}

/** A name-addr or addr-spec with header parameters (From, To, Contact, Route…). */
export interface NameAddr {
  displayName?: string;
  uri: SipUri;
  params: SipParams;
  /** Contact: `*`. */
  wildcard?: boolean;
}

/** One Via element (RFC 3261 §20.42). */
export interface Via {
  /** `UDP`, `TCP`, `TLS`, `WS`, `WSS`, upper-case. */
  transport: string;
  host: string;
  port?: number;
  params: SipParams;
}

/** CSeq header (RFC 3261 §20.16). */
export interface CSeq {
  seq: number;
  method: string;
}
