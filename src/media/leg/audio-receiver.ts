import { FRAME_SAMPLES, type MediaClock } from '../clock/index.ts';
import { readPayloadType, readSequenceNumber, readSsrc, rtpPayloadOffset, type RtpSession } from '../rtp/index.ts';
import type { AudioSource } from './audio-source.ts';
import { JitterBuffer, type JitterBufferOptions } from './jitter-buffer.ts';

/** Options of an AudioReceiver. */
export interface AudioReceiverOptions extends JitterBufferOptions {
  /**
   * The clock that paces playout. With it, the jitter buffer gives up one payload per tick, to
   * whoever asks first in that tick (the owner's tick listener or a reader such as a bridged peer's
   * sender), and every read in the tick sees the same frame. Without it, every read takes the next one.
   */
  mediaClock?: MediaClock;
}

/** Peak level under which a frame is quiet enough to drop unheard when the buffer shrinks (≈ −36 dBFS). */
const QUIET_PEAK = 512;

/**
 * The decode path of a leg: observes the session's audio packets into a jitter buffer and yields
 * one 20 ms frame per tick (silence for gaps), so it can feed a mixer, recorder or sender. A frame
 * is decoded only when read: a leg nobody listens to keeps its buffer moving ({@link advance}) but
 * never decodes (docs/media.md "Jitter buffer").
 */
export class AudioReceiver implements AudioSource {
  readonly #session: RtpSession;
  readonly #buffer: JitterBuffer;
  readonly #mediaClock: MediaClock | undefined;
  readonly #detach: () => void;
  readonly #frame = new Int16Array(FRAME_SAMPLES);
  readonly #scratch = new Int16Array(FRAME_SAMPLES);
  #ssrc = -1;
  #tick = -1;
  #payload: Uint8Array | null | undefined;
  #decoded = true;
  /** Whether the frame of the tick before was read. */
  #listened = false;
  #decodedFrames = 0;
  /** The payload {@link #droppable} decoded (into #scratch) and kept: it plays from there, not decoded again. */
  #checked: Uint8Array | undefined;
  #closed = false;

  constructor(session: RtpSession, options: AudioReceiverOptions = {}) {
    const { mediaClock, ...buffer } = options;
    this.#session = session;
    this.#buffer = new JitterBuffer({ droppable: this.#droppable, ...buffer });
    this.#mediaClock = mediaClock;
    this.#detach = session.addObserver(this.#onPacket);
  }

  /** The jitter buffer's counters. */
  get jitterBuffer(): JitterBuffer {
    return this.#buffer;
  }

  /** Frames decoded so far: only frames somebody read. */
  get decodedFrames(): number {
    return this.#decodedFrames;
  }

  /** True once the receiver or its session is closed. */
  get closed(): boolean {
    return this.#closed || this.#session.closed;
  }

  /**
   * Takes the payload due now out of the jitter buffer without decoding it: once per media clock
   * tick (a no-op for the rest of the tick), or every call without a clock.
   */
  advance(): void {
    const tick = this.#mediaClock?.tickCount;
    if (tick !== undefined && tick === this.#tick) return;
    this.#tick = tick ?? -1;
    this.#listened = this.#decoded;
    this.#payload = this.closed ? undefined : this.#buffer.pop();
    this.#decoded = false;
  }

  /**
   * The frame due now, decoded on the first ask in its tick (silence for a gap or once closed). The
   * array is the receiver's own and changes on the next tick: copy what must be kept.
   */
  current(): Int16Array {
    if (this.#mediaClock) this.advance();
    if (this.#decoded) return this.#frame;
    this.#decoded = true;
    const payload = this.#payload;
    if (!payload || this.closed) {
      this.#frame.fill(0);
      return this.#frame;
    }
    if (payload === this.#checked) {
      // Judged for a shrink and kept: the codec already decoded it (Opus must not see it twice).
      this.#frame.set(this.#scratch);
      this.#checked = undefined;
      return this.#frame;
    }
    // A payload the codec cannot decode (damaged, hostile) plays as silence, like a loss.
    this.#session.codec.decodeFrame(payload, this.#frame);
    this.#decodedFrames++;
    return this.#frame;
  }

  /** Decodes the frame due now into `frame`; false once the receiver or its session is closed. */
  read(frame: Int16Array): boolean {
    if (this.closed) return false;
    if (!this.#mediaClock) this.advance();
    frame.set(this.current().subarray(0, frame.length));
    if (frame.length > FRAME_SAMPLES) frame.fill(0, FRAME_SAMPLES);
    return true;
  }

  /** Stops observing; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#detach();
  }

  /**
   * A frame may be dropped to shrink the lead when it is quiet, or when nobody listens anyway. The
   * frame is decoded to tell; a frame kept plays from that decoding, so a codec with history (Opus)
   * decodes every frame once, whether it is dropped or played (docs/media.md "Jitter buffer").
   */
  readonly #droppable = (payload: Uint8Array): boolean => {
    if (!this.#listened) return true;
    const pcm = this.#scratch;
    const ok = this.#session.codec.decodeFrame(payload, pcm);
    this.#decodedFrames++;
    for (let i = 0; ok && i < FRAME_SAMPLES; i++) {
      const x = pcm[i] as number;
      if (x > QUIET_PEAK || x < -QUIET_PEAK) {
        this.#checked = payload;
        return false;
      }
    }
    return true;
  };

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
