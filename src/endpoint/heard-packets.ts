import {
  g711Codec,
  readPayloadType,
  readSequenceNumber,
  readSsrc,
  readTimestamp,
  rtpPayloadOffset,
  type RtpSession,
} from '../media/index.ts';

/**
 * A listener of a leg's received audio packets, each decoded on its own as it arrives: 8 kHz PCM
 * (160 samples for a 20 ms packet, other packet times give their own length) and the packet's RTP
 * timestamp. The array is reused after the call: copy what must be kept.
 */
export type HeardPacketListener = (pcm: Int16Array, rtpTimestamp: number) => void;

/** How a listener takes packets. */
export interface HeardPacketOptions {
  /**
   * Also pass on a packet that arrives after a newer one of its stream (reordered or late, less than
   * the restart distance behind), for a listener that places audio by its timestamp (a recording,
   * docs/media.md "Recording"). A repeat of the newest packet is dropped all the same.
   */
  reordered?: boolean;
}

/** Where a packet stands in its stream's sequence order. */
type Order = 'newest' | 'older' | 'repeat';

/** Most samples one packet may carry (500 ms at 8 kHz); a larger payload is not passed on. */
export const MAX_HEARD_PACKET_SAMPLES = 4000;

/**
 * A packet this many sequence numbers or more behind the newest one is a restarted stream, not a
 * late packet (the jitter buffer's window, docs/media.md "Jitter buffer", judges the same way).
 */
const RESTART_DISTANCE = 256;

function seqDiff(a: number, b: number): number {
  // RFC 3550 sequence numbers wrap at 16 bits: signed distance from b to a.
  return ((a - b + 0x18000) & 0xffff) - 0x8000;
}

/**
 * The received G.711 audio packets of one RTP session, decoded one by one before the jitter buffer
 * (stateless: G.711 needs no history), in arrival order. A packet not newer than the newest one of
 * its SSRC (RFC 3550 sequence order, with wrap) is dropped: reordered, late or duplicate audio is
 * not passed on, except reordered and late packets to a listener added with `reordered`.
 * Telephone-events, comfort noise and other payload types are not audio of the
 * leg's codec and are skipped. While the codec is not G.711 (Opus) nothing is passed; the owner's
 * `passing` gate (mute, hold) is asked for every packet.
 */
export class HeardPackets {
  readonly #session: RtpSession;
  readonly #passing: () => boolean;
  /** Each listener's wrapper, and whether it takes reordered packets. */
  readonly #listeners = new Map<HeardPacketListener, boolean>();
  #detach: (() => void) | undefined;
  #ssrc = -1;
  #newest = -1;
  #pcm = new Int16Array(160);

  /** Observes `session` from the first listener on; `passing` says whether packets may go out now. */
  constructor(session: RtpSession, passing: () => boolean) {
    this.#session = session;
    this.#passing = passing;
  }

  /** True while the session's codec is G.711, whose packets are passed on. */
  get available(): boolean {
    const name = this.#session.codec.name;
    return name === 'PCMU' || name === 'PCMA';
  }

  /**
   * Adds a listener; returns the function that removes it (idempotent). While the codec is not
   * G.711 the listener is not added: the function returned does nothing.
   */
  add(listener: HeardPacketListener, options: HeardPacketOptions = {}): () => void {
    if (!this.available) return () => undefined;
    // A wrapper of its own, so the same function attached twice is two listeners removed one by one.
    const own: HeardPacketListener = (pcm, ts) => listener(pcm, ts);
    if (this.#listeners.size === 0) {
      // Order is followed only while somebody listens: a new first listener starts afresh.
      this.#ssrc = -1;
      this.#newest = -1;
    }
    this.#listeners.set(own, options.reordered === true);
    // Once observing, the session keeps this observer until close (removing it from inside its own
    // call would shift the session's observer list under its loop); without listeners it returns at once.
    this.#detach ??= this.#session.addObserver(this.#onPacket);
    return () => {
      this.#listeners.delete(own);
    };
  }

  /** Removes every listener and stops observing; idempotent. */
  close(): void {
    this.#listeners.clear();
    this.#detach?.();
    this.#detach = undefined;
  }

  /** Where `seq` of `ssrc` stands: newer than all so far (it then becomes the newest), older, or the newest again. */
  #order(ssrc: number, seq: number): Order {
    if (ssrc !== this.#ssrc || this.#newest < 0) {
      this.#ssrc = ssrc;
      this.#newest = seq;
      return 'newest';
    }
    const ahead = seqDiff(seq, this.#newest);
    if (ahead === 0) return 'repeat';
    if (ahead < 0 && ahead > -RESTART_DISTANCE) return 'older';
    this.#newest = seq;
    return 'newest';
  }

  #anyReordered(): boolean {
    for (const reordered of this.#listeners.values()) if (reordered) return true;
    return false;
  }

  readonly #onPacket = (buf: Uint8Array): void => {
    if (this.#listeners.size === 0) return;
    const codec = this.#session.codec;
    if (readPayloadType(buf) !== codec.payloadType || !this.available) return;
    let offset: number;
    try {
      offset = rtpPayloadOffset(buf);
    } catch {
      // A truncated packet carries no audio to pass on; the stream goes on.
      return;
    }
    const samples = buf.length - offset;
    if (samples <= 0 || samples > MAX_HEARD_PACKET_SAMPLES) return;
    // Order is followed whether or not the packet is passed, so a mute or hold does not leave it stale.
    const order = this.#order(readSsrc(buf), readSequenceNumber(buf));
    if (order === 'repeat' || !this.#passing()) return;
    const older = order === 'older';
    if (older && !this.#anyReordered()) return;
    if (this.#pcm.length < samples) this.#pcm = new Int16Array(Math.min(MAX_HEARD_PACKET_SAMPLES, samples * 2));
    const pcm = this.#pcm.subarray(0, samples);
    g711Codec(codec.name).decode(buf.subarray(offset), pcm);
    const timestamp = readTimestamp(buf);
    for (const [listener, reordered] of this.#listeners) {
      if (older && !reordered) continue;
      try {
        listener(pcm, timestamp);
      } catch {
        // A listener that throws is removed; the packet path (decoder, relay) must go on.
        this.#listeners.delete(listener);
      }
    }
  };
}
