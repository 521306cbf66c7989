import { ValidationError } from '../shared/index.ts';
import { OpusCodec, g711Codec, type AudioCodec } from '../media/index.ts';
import type { NegotiatedCodec } from '../sdp/index.ts';
import type { MediaCodecName } from './media-sdp-session.ts';

/** The codec a name from SDP stands for: G.711 shares one codec, Opus gets its own state. */
function codecFor(name: string, payloadType: number): AudioCodec {
  if (name.toLowerCase() === 'opus') return new OpusCodec(payloadType);
  try {
    return g711Codec(name);
  } catch {
    throw ValidationError.field('codec', 'UNSUPPORTED_CODEC', `codec ${name} is not PCMU, PCMA or opus`);
  }
}

/**
 * The codec a leg's RTP session uses, switchable after creation: an offer allocates the session
 * before the answer picks the codec, and a re-INVITE may change it (G.711 ↔ Opus included: the
 * frame's timestamp units follow, 160 or 960). It also carries the payload type the SDP agreed on,
 * which a peer may number differently from the static one, and Opus's is always dynamic (RFC 7587
 * §7). {@link close} lets go of an Opus encoder and decoder.
 */
export class NegotiatedAudioCodec implements AudioCodec {
  #codec: AudioCodec;
  #payloadType: number;

  constructor(name: MediaCodecName, payloadType?: number) {
    this.#codec = codecFor(name, payloadType ?? 0);
    this.#payloadType = payloadType ?? this.#codec.payloadType;
  }

  /** SDP name of the current codec. */
  get name(): MediaCodecName {
    return this.#codec.name;
  }

  /** RTP payload type of the current codec. */
  get payloadType(): number {
    return this.#payloadType;
  }

  /** RTP clock rate of the current codec. */
  get clockRate(): number {
    return this.#codec.clockRate;
  }

  /** Timestamp units per 20 ms frame of the current codec. */
  get frameTicks(): number {
    return this.#codec.frameTicks;
  }

  /**
   * Switches to what an offer/answer exchange agreed; throws ValidationError `UNSUPPORTED_CODEC` for
   * a codec callbin does not speak. Staying on Opus keeps the encoder's and decoder's history.
   */
  apply(negotiated: NegotiatedCodec): void {
    const sameOpus = this.#codec.name === 'opus' && negotiated.name.toLowerCase() === 'opus';
    if (!sameOpus) {
      const next = codecFor(negotiated.name, negotiated.pt);
      this.close();
      this.#codec = next;
    }
    this.#payloadType = negotiated.pt;
  }

  /** Encodes one 20 ms frame of 8 kHz PCM with the current codec. */
  encodeFrame(pcm: Int16Array): Uint8Array {
    return this.#codec.encodeFrame(pcm);
  }

  /** Decodes one payload into 160 samples of 8 kHz PCM with the current codec. */
  decodeFrame(payload: Uint8Array, out: Int16Array): boolean {
    return this.#codec.decodeFrame(payload, out);
  }

  /** Lets go of the current codec's state (Opus); G.711 has none. Idempotent. */
  close(): void {
    if (this.#codec instanceof OpusCodec) this.#codec.close();
  }
}

/** The earlier name, from when a leg could only speak G.711. */
export { NegotiatedAudioCodec as NegotiatedG711Codec };
