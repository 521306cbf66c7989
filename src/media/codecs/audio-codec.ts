/**
 * What a leg needs of a codec: one 20 ms frame of 8 kHz PCM in, one RTP payload out, and back. The
 * leg machinery (sender, receiver, relay, mixer, recorder) works on 8 kHz PCM whatever the codec,
 * so a codec with another clock rate (Opus, RFC 7587) converts inside (docs/webrtc.md "Opus").
 */
export interface AudioCodec {
  readonly name: 'PCMU' | 'PCMA' | 'opus';
  readonly payloadType: number;
  /** RTP clock rate (8000 for G.711, 48000 for Opus, RFC 7587). */
  readonly clockRate: number;
  /** RTP timestamp units per 20 ms frame (160 for G.711, 960 for Opus). */
  readonly frameTicks: number;
  /** Encodes one 20 ms frame of 8 kHz PCM (160 samples); returns the payload (may be a reused buffer valid until the next call). */
  encodeFrame(pcm: Int16Array): Uint8Array;
  /** Decodes one payload into 160 samples of 8 kHz PCM in `out`; returns false when it could not (then `out` is silence). */
  decodeFrame(payload: Uint8Array, out: Int16Array): boolean;
}

/** Samples in one 20 ms frame of 8 kHz PCM: what encodeFrame takes and decodeFrame gives. */
export const CODEC_FRAME_SAMPLES = 160;
