/**
 * What a `burst` phone says and how it hears its echo: a cycle of 25 frames (500 ms), a 1 kHz tone
 * for the first 3 frames and silence after, encoded once per codec in sequence (so the encoder's
 * history is that of a real stream) and replayed; and a detector telling a loud frame from a quiet
 * one after the bridge decoded and re-encoded it. Opus frames are decoded with callbin's own
 * OpusCodec, as the server does; a PCMU frame is decoded with the G.711 table.
 */
import { MULAW_DECODE_TABLE, OpusCodec, encodeMulaw, tone } from '../../src/media/index.ts';
import type { PhoneCodec } from './protocol.ts';

export const CYCLE_FRAMES = 25;
export const BURST_FRAMES = 3;
const FRAME = 160;
/** Mean absolute sample above which a frame counts as loud (the tone's is ≈ 10,000, silence's 0). */
const LOUD_MEAN_ABS = 1500;

function pcmCycle(): Int16Array[] {
  const burst = tone([1000], BURST_FRAMES * 20, { amplitude: 0.5, fadeMs: 1 });
  const frames: Int16Array[] = [];
  for (let i = 0; i < CYCLE_FRAMES; i++) {
    frames.push(i < BURST_FRAMES ? burst.slice(i * FRAME, (i + 1) * FRAME) : new Int16Array(FRAME));
  }
  return frames;
}

/** The cycle's payloads for `codec` (Opus: the second pass, after the encoder settled). */
export function encodedCycle(codec: PhoneCodec): Uint8Array[] {
  const pcm = pcmCycle();
  if (codec === 'PCMU') {
    return pcm.map((f) => {
      const out = new Uint8Array(FRAME);
      encodeMulaw(f, out);
      return out;
    });
  }
  const enc = new OpusCodec(111);
  for (const f of pcm) enc.encodeFrame(f);
  const cycle = pcm.map((f) => enc.encodeFrame(f).slice());
  enc.close();
  return cycle;
}

/** Tells loud frames from quiet ones of one received stream (Opus keeps decoder state per stream). */
export class LoudnessDetector {
  readonly #opus: OpusCodec | undefined;
  readonly #pcm = new Int16Array(FRAME);

  constructor(codec: PhoneCodec) {
    this.#opus = codec === 'opus' ? new OpusCodec(111) : undefined;
  }

  loud(payload: Uint8Array): boolean {
    let sum = 0;
    if (this.#opus) {
      if (!this.#opus.decodeFrame(payload, this.#pcm)) return false;
      for (const x of this.#pcm) sum += Math.abs(x);
      return sum / FRAME > LOUD_MEAN_ABS;
    }
    const n = Math.min(FRAME, payload.length);
    for (let i = 0; i < n; i++) sum += Math.abs(MULAW_DECODE_TABLE[payload[i]!]!);
    return sum / Math.max(1, n) > LOUD_MEAN_ABS;
  }

  close(): void {
    this.#opus?.close();
  }
}
