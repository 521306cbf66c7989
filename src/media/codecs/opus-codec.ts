import { CODEC_FRAME_SAMPLES, type AudioCodec } from './audio-codec.ts';
import { OpusState } from './opus-library.ts';

/** RTP clock rate of Opus whatever the audio's real rate (RFC 7587 §4.1). */
export const OPUS_CLOCK_RATE = 48000;
/** Timestamp units of a 20 ms Opus frame at that clock. */
export const OPUS_FRAME_TICKS = 960;

/** Options of an OpusCodec. */
export interface OpusCodecOptions {
  /** Target bit rate; default 32 kbit/s (RFC 7587 §3.1.1 puts narrowband speech at 8–12, fullband at 28–40). */
  bitrate?: number;
  /** Encoder complexity 0–10; default 5 (docs/benchmarks.md "Opus"). */
  complexity?: number;
}

/**
 * Opus (RFC 6716) on an RTP leg (RFC 7587): mono 20 ms frames out, mono or stereo packets in (a
 * stereo packet is down-mixed). The leg machinery works on 8 kHz PCM, and libopus takes and gives
 * 8 kHz itself, converting to and from its internal rates with its own filters (RFC 6716 §4.2.9):
 * audio above 4 kHz in what a browser sends is cut in the decoder, not folded down. The payload
 * type is the dynamic one the SDP agreed on. One codec belongs to one leg (it keeps the encoder's
 * and decoder's history); {@link close} lets go of the native state.
 */
export class OpusCodec implements AudioCodec {
  readonly name = 'opus';
  readonly payloadType: number;
  readonly clockRate = OPUS_CLOCK_RATE;
  readonly frameTicks = OPUS_FRAME_TICKS;
  readonly #state: OpusState;
  #closed = false;

  constructor(payloadType: number, options: OpusCodecOptions = {}) {
    this.payloadType = payloadType;
    this.#state = new OpusState({ sampleRate: 8000, ...options });
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Encodes one 20 ms frame of 8 kHz PCM (160 samples; shorter is padded with silence). */
  encodeFrame(pcm: Int16Array): Uint8Array {
    if (pcm.length === CODEC_FRAME_SAMPLES) return this.#state.encode(pcm);
    const frame = new Int16Array(CODEC_FRAME_SAMPLES);
    frame.set(pcm.subarray(0, CODEC_FRAME_SAMPLES));
    return this.#state.encode(frame);
  }

  /**
   * Decodes one packet into 160 samples of 8 kHz PCM. A packet of more than 20 ms gives its first
   * 20 ms (the leg plays one frame per tick); an empty, corrupted or post-close payload gives
   * silence and false, never an exception.
   */
  decodeFrame(payload: Uint8Array, out: Int16Array): boolean {
    const n = Math.min(out.length, CODEC_FRAME_SAMPLES);
    if (payload.length === 0 || this.#closed) {
      out.fill(0);
      return false;
    }
    let pcm: Int16Array;
    try {
      pcm = this.#state.decode(payload);
    } catch {
      // libopus refused the packet (OPUS_INVALID_PACKET): hostile or damaged input is heard as a gap.
      out.fill(0);
      return false;
    }
    const m = Math.min(n, pcm.length);
    out.set(pcm.subarray(0, m));
    if (m < out.length) out.fill(0, m);
    return m > 0;
  }

  /** Lets go of the encoder and decoder; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#state.close();
  }
}
