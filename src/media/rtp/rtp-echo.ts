import { readMarker, readPayloadType, readTimestamp } from './rtp-packet.ts';
import type { RtpSession } from './rtp-session.ts';

/**
 * Sends back to a leg what it sends (audio and telephone-events) on the relay path: the packet's
 * header is rewritten to the leg's own outgoing stream and the payload is never decoded.
 */
export class RtpEcho {
  readonly #session: RtpSession;
  #closed = false;

  constructor(session: RtpSession) {
    this.#session = session;
    session.setForwarder(this.#forward);
  }

  readonly #forward = (buf: Uint8Array): void => {
    const s = this.#session;
    const pt = readPayloadType(buf);
    if (pt !== s.codec.payloadType && pt !== s.telephoneEventPt) return;
    const ts = readTimestamp(buf);
    s.forwardRaw(buf, pt, ts, readMarker(buf));
  };

  /** Stops echoing; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#session.closed) this.#session.setForwarder(undefined);
  }
}
