import { ValidationError } from '../../shared/index.ts';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from './g711.ts';

/** The narrowband codecs a leg can speak, named as in SDP rtpmap. */
export type G711Name = 'PCMU' | 'PCMA';

/** A G.711 codec bound to its static RTP payload type (RFC 3551 §6). */
export interface G711Codec {
  readonly name: G711Name;
  readonly payloadType: number;
  /** Encodes PCM samples into `out` (one byte per sample). */
  encode(pcm: Int16Array, out: Uint8Array): void;
  /** Decodes bytes into `out` (one sample per byte). */
  decode(bytes: Uint8Array, out: Int16Array): void;
}

/** PCMU: µ-law, static payload type 0. */
export const PCMU: G711Codec = { name: 'PCMU', payloadType: 0, encode: encodeMulaw, decode: decodeMulaw };
/** PCMA: A-law, static payload type 8. */
export const PCMA: G711Codec = { name: 'PCMA', payloadType: 8, encode: encodeAlaw, decode: decodeAlaw };

/** Looks up a G.711 codec by its SDP name (case-insensitive); throws ValidationError when unknown. */
export function g711Codec(name: string): G711Codec {
  const upper = name.toUpperCase();
  if (upper === 'PCMU') return PCMU;
  if (upper === 'PCMA') return PCMA;
  throw ValidationError.field('codec', 'UNSUPPORTED_CODEC', `codec ${name} is not G.711 (PCMU or PCMA)`);
}
