import { AppError } from '../../shared/index.ts';
import type { SipHeaders } from './headers.ts';

/** What was understood of a malformed message: enough to answer it with 400 (or 505). */
export interface SipParsePartial {
  headers: SipHeaders;
  method?: string;
}

/** A SIP message, URI or header value that does not follow the RFC 3261 grammar. */
export class SipParseError extends AppError {
  /** Set when the start line and headers were read, so a request can still be answered. */
  readonly partial: SipParsePartial | undefined;
  /** The response status that fits the problem (400, or 505 for an unknown SIP version). */
  readonly status: number;

  constructor(message: string, options: { partial?: SipParsePartial; status?: number; cause?: unknown } = {}) {
    super('SIP_PARSE', message, options.cause === undefined ? {} : { cause: options.cause });
    this.partial = options.partial;
    this.status = options.status ?? 400;
  }
}
