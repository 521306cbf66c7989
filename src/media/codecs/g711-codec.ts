import { ValidationError } from '../../shared/index.ts';
import { CODEC_FRAME_SAMPLES, type AudioCodec } from './audio-codec.ts';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from './g711.ts';

/** The narrowband codecs a leg can speak, named as in SDP rtpmap. */
export type G711Name = 'PCMU' | 'PCMA';

/** A G.711 codec bound to its static RTP payload type (RFC 3551 §6). */
export interface G711Codec extends AudioCodec {
  readonly name: G711Name;
  readonly payloadType: number;
  /** Encodes PCM samples into `out` (one byte per sample). */
  encode(pcm: Int16Array, out: Uint8Array): void;
  /** Decodes bytes into `out` (one sample per byte). */
  decode(bytes: Uint8Array, out: Int16Array): void;
}

/**
 * Builds a G.711 codec on the table paths of g711.ts. One byte per sample at 8 kHz (RFC 3551 §4.5.14),
 * so a frame is 160 bytes and 160 timestamp units. The codec is shared by every leg: encodeFrame's
 * buffer is valid until the next encodeFrame, which a sender uses at once.
 */
function g711(
  name: G711Name,
  payloadType: number,
  encode: (pcm: Int16Array, out: Uint8Array) => void,
  decode: (bytes: Uint8Array, out: Int16Array) => void,
): G711Codec {
  const payload = new Uint8Array(CODEC_FRAME_SAMPLES);
  return {
    name,
    payloadType,
    clockRate: 8000,
    frameTicks: CODEC_FRAME_SAMPLES,
    encode,
    decode,
    encodeFrame(pcm: Int16Array): Uint8Array {
      encode(pcm.length > CODEC_FRAME_SAMPLES ? pcm.subarray(0, CODEC_FRAME_SAMPLES) : pcm, payload);
      return pcm.length >= CODEC_FRAME_SAMPLES ? payload : payload.subarray(0, pcm.length);
    },
    decodeFrame: (bytes: Uint8Array, out: Int16Array): boolean => decodeG711Frame(decode, bytes, out),
  };
}

/** Decodes up to one frame of G.711 into `out`, zero-filling what the payload did not cover. */
export function decodeG711Frame(
  decode: (bytes: Uint8Array, out: Int16Array) => void,
  bytes: Uint8Array,
  out: Int16Array,
): boolean {
  const n = Math.min(bytes.length, out.length, CODEC_FRAME_SAMPLES);
  decode(n === bytes.length ? bytes : bytes.subarray(0, n), out);
  if (n < out.length) out.fill(0, n);
  return n > 0;
}

/** PCMU: µ-law, static payload type 0. */
export const PCMU: G711Codec = g711('PCMU', 0, encodeMulaw, decodeMulaw);

/** PCMA: A-law, static payload type 8. */
export const PCMA: G711Codec = g711('PCMA', 8, encodeAlaw, decodeAlaw);

/** Looks up a G.711 codec by its SDP name (case-insensitive); throws ValidationError when unknown. */
export function g711Codec(name: string): G711Codec {
  const upper = name.toUpperCase();
  if (upper === 'PCMU') return PCMU;
  if (upper === 'PCMA') return PCMA;
  throw ValidationError.field('codec', 'UNSUPPORTED_CODEC', `codec ${name} is not G.711 (PCMU or PCMA)`);
}
