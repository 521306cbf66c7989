import { readPayloadType, readSequenceNumber, readSsrc, rtpPayloadOffset, type RtpSession } from '../rtp/index.ts';
import type { AudioSource } from './audio-source.ts';
import { JitterBuffer, type JitterBufferOptions } from './jitter-buffer.ts';

/**
 * The decode path of a leg: observes the session's audio packets into a jitter buffer and yields
 * one decoded 20 ms frame per read (silence for gaps), so it can feed a mixer, recorder or sender.
 */
export class AudioReceiver implements AudioSource {
  readonly #session: RtpSession;
  readonly #buffer: JitterBuffer;
  readonly #detach: () => void;
  #ssrc = -1;
  #closed = false;

  constructor(session: RtpSession, options: JitterBufferOptions = {}) {
    this.#session = session;
    this.#buffer = new JitterBuffer(options);
    this.#detach = session.addObserver(this.#onPacket);
  }

  /** The jitter buffer's counters. */
  get jitterBuffer(): JitterBuffer {
    return this.#buffer;
  }

  /** Decodes the frame due now into `frame`; false once the receiver or its session is closed. */
  read(frame: Int16Array): boolean {
    if (this.#closed || this.#session.closed) return false;
    const payload = this.#buffer.pop();
    if (!payload) {
      frame.fill(0);
      return true;
    }
    const n = Math.min(payload.length, frame.length);
    this.#session.codec.decode(n === payload.length ? payload : payload.subarray(0, n), frame);
    if (n < frame.length) frame.fill(0, n);
    return true;
  }

  /** Stops observing; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#detach();
  }

  readonly #onPacket = (buf: Uint8Array): void => {
    if (readPayloadType(buf) !== this.#session.codec.payloadType) return;
    let offset: number;
    try {
      offset = rtpPayloadOffset(buf);
    } catch {
      // Truncated packets cannot be decoded; the gap is concealed like a loss.
      return;
    }
    const seq = readSequenceNumber(buf);
    const ssrc = readSsrc(buf);
    if (ssrc !== this.#ssrc) {
      this.#ssrc = ssrc;
      this.#buffer.reset(seq);
    }
    this.#buffer.push(seq, buf.subarray(offset));
  };
}
