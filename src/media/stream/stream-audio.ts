import { MULAW_DECODE_TABLE, MULAW_ENCODE_TABLE } from '../codecs/index.ts';

/*
 * The two audio formats of a media stream on the wire and callbin's internal audio,
 * 8 kHz 16-bit PCM in 20 ms frames of 160 samples.
 */

/** Wire formats of a media stream: µ-law 8 kHz, or 16-bit linear PCM 16 kHz little-endian. */
export type StreamFormat = 'ulaw' | 'slin16';

/** Samples of one 20 ms frame at callbin's internal rate (8 kHz). */
export const STREAM_FRAME_SAMPLES = 160;

/** Samples per millisecond at callbin's internal rate. */
export const SAMPLES_PER_MS = 8;

/** Bytes on the wire for `samples8k` samples of 8 kHz audio: 1 per sample (µ-law), 4 (two 16 kHz int16). */
export function wireBytesFor(format: StreamFormat, samples8k: number): number {
  return format === 'ulaw' ? samples8k : samples8k * 4;
}

/**
 * Encodes 8 kHz PCM into the wire format. For `slin16` each 8 kHz sample becomes two 16 kHz samples by
 * linear interpolation from the previous one (kept across calls, so consecutive frames join smoothly).
 * Encoding allocates only the output, and nothing when `out` is given.
 */
export class StreamAudioEncoder {
  readonly format: StreamFormat;
  #previous = 0;

  constructor(format: StreamFormat) {
    this.format = format;
  }

  /** Encodes `pcm8k` into `out` (allocated when missing; at least {@link wireBytesFor} bytes) and returns the bytes written. */
  encode(pcm8k: Int16Array, out?: Buffer): Buffer {
    const bytes = wireBytesFor(this.format, pcm8k.length);
    const target = out ?? Buffer.allocUnsafe(bytes);
    if (target.length < bytes) throw new RangeError(`output holds ${target.length} bytes, ${bytes} needed`);
    const n = pcm8k.length;
    if (this.format === 'ulaw') {
      for (let i = 0; i < n; i++) target[i] = MULAW_ENCODE_TABLE[pcm8k[i]! & 0xffff]!;
      return target.length === bytes ? target : target.subarray(0, bytes);
    }
    let prev = this.#previous;
    for (let i = 0, o = 0; i < n; i++, o += 4) {
      const s = pcm8k[i]!;
      const mid = (prev + s) >> 1;
      target[o] = mid & 0xff;
      target[o + 1] = (mid >> 8) & 0xff;
      target[o + 2] = s & 0xff;
      target[o + 3] = (s >> 8) & 0xff;
      prev = s;
    }
    this.#previous = prev;
    return target.length === bytes ? target : target.subarray(0, bytes);
  }
}

/** Taps of the half-band low-pass used before dropping every other 16 kHz sample: [-1, 0, 9, 16, 9, 0, -1] / 32. */
const HISTORY = 6;

/**
 * Decodes wire bytes into 8 kHz PCM. For `slin16` (int16 little-endian, an even number of bytes) the
 * 16 kHz samples go through a 7-tap half-band low-pass and every other one is kept; the filter's
 * history and an odd sample left over carry to the next call. Throws RangeError for an odd byte count
 * in `slin16` (the parser refuses those first).
 */
export class StreamAudioDecoder {
  readonly format: StreamFormat;
  /** The last {@link HISTORY} 16 kHz samples, oldest first. */
  readonly #history = new Int16Array(HISTORY);
  /** 16 kHz samples seen, modulo 2: an output is produced after each second one. */
  #parity = 0;

  constructor(format: StreamFormat) {
    this.format = format;
  }

  /** Decodes one payload; the result is a new array the caller may keep. */
  decode(bytes: Uint8Array): Int16Array {
    if (this.format === 'ulaw') {
      const out = new Int16Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) out[i] = MULAW_DECODE_TABLE[bytes[i]!]!;
      return out;
    }
    if (bytes.length % 2 !== 0) throw new RangeError('slin16 audio needs an even number of bytes');
    const count = bytes.length >> 1;
    const out = new Int16Array((this.#parity + count) >> 1);
    const h = this.#history;
    // h0..h5 are x[n-6..n-1]; the output is centred on x[n-3].
    let h0 = h[0]!;
    let h1 = h[1]!;
    let h2 = h[2]!;
    let h3 = h[3]!;
    let h4 = h[4]!;
    let h5 = h[5]!;
    let parity = this.#parity;
    let o = 0;
    for (let i = 0; i < count; i++) {
      const x = ((bytes[2 * i + 1]! << 24) >> 16) | bytes[2 * i]!;
      if (parity === 1) {
        const y = Math.round((16 * h3 + 9 * (h2 + h4) - (h0 + x)) / 32);
        out[o++] = y > 32767 ? 32767 : y < -32768 ? -32768 : y;
      }
      h0 = h1;
      h1 = h2;
      h2 = h3;
      h3 = h4;
      h4 = h5;
      h5 = x;
      parity ^= 1;
    }
    h[0] = h0;
    h[1] = h1;
    h[2] = h2;
    h[3] = h3;
    h[4] = h4;
    h[5] = h5;
    this.#parity = parity;
    return out;
  }
}
