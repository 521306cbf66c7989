/**
 * The one place that imports the Opus library: `@discordjs/opus`, a native binding that builds the
 * libopus it bundles at install (docs/benchmarks.md "Opus" gives the figures and the reasons it was
 * chosen). Everything else speaks to {@link OpusState}.
 */
import { createRequire } from 'node:module';
import { InvalidStateError } from '../../shared/index.ts';

/** libopus CTL requests (opus_defines.h) the codec sets. */
const OPUS_SET_APPLICATION = 4000;
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_SIGNAL = 4024;
const OPUS_APPLICATION_VOIP = 2048;
const OPUS_SIGNAL_VOICE = 3001;

interface NativeOpus {
  encode(pcm: Buffer): Buffer;
  decode(packet: Buffer): Buffer;
  applyEncoderCTL(ctl: number, value: number): void;
}

type NativeOpusConstructor = new (rate: number, channels: number) => NativeOpus;

let native: NativeOpusConstructor | undefined;

function nativeOpus(): NativeOpusConstructor {
  // Loaded on first use, so a process without Opus legs never maps the native library.
  native ??= (createRequire(import.meta.url)('@discordjs/opus') as { OpusEncoder: NativeOpusConstructor }).OpusEncoder;
  return native;
}

/** Encoder settings. */
export interface OpusStateOptions {
  /** PCM sample rate in and out; libopus converts to and from its internal rates (RFC 6716 §2). */
  sampleRate: 8000 | 12000 | 16000 | 24000 | 48000;
  /** Target bit rate; default 32 kbit/s. */
  bitrate?: number;
  /** Encoder complexity 0–10; default 5. */
  complexity?: number;
  /** Channels of the PCM in and out (interleaved when 2); default 1. */
  channels?: 1 | 2;
}

/** One libopus encoder and decoder pair (mono unless asked otherwise). */
export class OpusState {
  #opus: NativeOpus | undefined;

  constructor(options: OpusStateOptions) {
    const opus = new (nativeOpus())(options.sampleRate, options.channels ?? 1);
    opus.applyEncoderCTL(OPUS_SET_APPLICATION, OPUS_APPLICATION_VOIP);
    opus.applyEncoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
    opus.applyEncoderCTL(OPUS_SET_BITRATE, options.bitrate ?? 32000);
    opus.applyEncoderCTL(OPUS_SET_COMPLEXITY, options.complexity ?? 5);
    this.#opus = opus;
  }

  /** Encodes one frame of 16-bit PCM (its length sets the frame duration) into an Opus packet. */
  encode(pcm: Int16Array): Uint8Array {
    return this.#open().encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }

  /**
   * Decodes one Opus packet (mono or stereo; a mono decoder down-mixes, RFC 6716 §4.5) into PCM of
   * the state's channels; throws on a corrupted packet.
   */
  decode(packet: Uint8Array): Int16Array {
    const out = this.#open().decode(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength));
    if (out.byteOffset % 2 === 0) return new Int16Array(out.buffer, out.byteOffset, out.byteLength >> 1);
    return new Int16Array(Uint8Array.from(out).buffer, 0, out.byteLength >> 1);
  }

  /**
   * Lets go of the native state; the binding frees it when the object is collected (it has no
   * explicit free). Idempotent; encode and decode throw afterwards.
   */
  close(): void {
    this.#opus = undefined;
  }

  #open(): NativeOpus {
    if (!this.#opus) throw new InvalidStateError('opus codec is closed', 'OPUS_CODEC_CLOSED');
    return this.#opus;
  }
}
