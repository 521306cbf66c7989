import type { ErrorCode } from '../../shared/index.ts';

/** Default upper bound of one SIP message on a stream or in a datagram, in bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_535;
/** Default upper bound of a message's start line plus header block, in bytes. */
export const DEFAULT_MAX_HEADER_BYTES = 16_384;

/** Limits applied by a {@link StreamFramer}. */
export interface StreamFramerOptions {
  maxMessageBytes?: number;
  maxHeaderBytes?: number;
}

/** Why a stream could not be framed (codes of the catalogue); the connection is unusable afterwards. */
export type FramingErrorReason = Extract<ErrorCode, 'MESSAGE_TOO_LARGE' | 'HEADER_TOO_LARGE' | 'BAD_CONTENT_LENGTH'>;

/** One unit cut from a byte stream. */
export type FramedItem =
  /** A whole SIP message (header block and body). */
  | { kind: 'message'; bytes: Buffer }
  /** RFC 5626 §3.5.1 double-CRLF ping: the peer expects a single CRLF pong. */
  | { kind: 'ping' }
  /** The stream is broken; `header` holds the header block when one was complete. */
  | { kind: 'error'; reason: FramingErrorReason; header?: Buffer };

const CRLF = 0x0d0a;
const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(.*?)[ \t]*$/gim;

/**
 * Cuts SIP messages out of a TCP/TLS byte stream (RFC 3261 §18.3): a message ends after the
 * blank line plus Content-Length bytes of body. One framer per connection, so a slow or
 * broken peer only ever holds its own buffer.
 */
export class StreamFramer {
  readonly #maxMessageBytes: number;
  readonly #maxHeaderBytes: number;
  #buffer: Buffer = Buffer.alloc(0);
  #failed = false;

  constructor(options: StreamFramerOptions = {}) {
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  }

  /** Bytes received but not yet part of a complete message. */
  get bufferedBytes(): number {
    return this.#buffer.length;
  }

  /** True while bytes of an unfinished message are buffered (a keep-alive CRLF in progress is not one). */
  get messageStarted(): boolean {
    for (const byte of this.#buffer) if (byte !== 0x0d && byte !== 0x0a) return true;
    return false;
  }

  /** Feed a chunk; returns every item completed by it, in order. After an error, nothing more. */
  push(chunk: Buffer): FramedItem[] {
    if (this.#failed) return [];
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const items: FramedItem[] = [];
    for (;;) {
      const item = this.#next();
      if (!item) break;
      items.push(item);
      if (item.kind === 'error') {
        this.#failed = true;
        this.#buffer = Buffer.alloc(0);
        break;
      }
    }
    return items;
  }

  #next(): FramedItem | undefined {
    const keepAlive = this.#skipCrlf();
    if (keepAlive) return keepAlive;
    if (this.#buffer.length === 0) return undefined;
    const headerEnd = this.#buffer.indexOf(HEADER_END);
    if (headerEnd < 0) {
      return this.#buffer.length > this.#maxHeaderBytes ? { kind: 'error', reason: 'HEADER_TOO_LARGE' } : undefined;
    }
    const headerBytes = headerEnd + HEADER_END.length;
    const header = this.#buffer.subarray(0, headerBytes);
    if (headerBytes > this.#maxHeaderBytes)
      return { kind: 'error', reason: 'HEADER_TOO_LARGE', header: Buffer.from(header) };
    const bodyBytes = contentLength(header.toString('latin1'));
    if (bodyBytes === undefined) return { kind: 'error', reason: 'BAD_CONTENT_LENGTH', header: Buffer.from(header) };
    const total = headerBytes + bodyBytes;
    if (total > this.#maxMessageBytes)
      return { kind: 'error', reason: 'MESSAGE_TOO_LARGE', header: Buffer.from(header) };
    if (this.#buffer.length < total) return undefined;
    const bytes = Buffer.from(this.#buffer.subarray(0, total));
    this.#buffer = this.#buffer.subarray(total);
    return { kind: 'message', bytes };
  }

  // RFC 5626 §3.5.1: CRLFCRLF between messages is a ping, a lone CRLF a pong (ignored).
  // A trailing lone CRLF is kept until the next byte says which it is.
  #skipCrlf(): FramedItem | undefined {
    while (this.#buffer.length >= 2 && this.#buffer.readUInt16BE(0) === CRLF) {
      if (this.#buffer.length >= 4 && this.#buffer.readUInt16BE(2) === CRLF) {
        this.#buffer = this.#buffer.subarray(4);
        return { kind: 'ping' };
      }
      if (this.#buffer.length < 4 && (this.#buffer.length === 2 || this.#buffer[2] === 0x0d)) return undefined;
      this.#buffer = this.#buffer.subarray(2);
    }
    return undefined;
  }
}

/**
 * The body length declared by a header block: 0 when absent, undefined when it is not a
 * decimal number or when several Content-Length headers disagree.
 */
function contentLength(header: string): number | undefined {
  let found: number | undefined;
  for (const match of header.matchAll(CONTENT_LENGTH)) {
    const raw = match[1] ?? '';
    if (!/^\d{1,10}$/.test(raw)) return undefined;
    const value = Number(raw);
    if (found !== undefined && found !== value) return undefined;
    found = value;
  }
  return found ?? 0;
}
