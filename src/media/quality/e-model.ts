/*
 * The E-model of ITU-T G.107, simplified for a leg's estimated listening quality
 * (docs/timeline.md "Media quality"):
 *
 *   R = Ro − Is − Id(T) − Ie,eff + A        with Ro − Is − Id(0) = 93.2 (every other default of G.107 Table 3)
 *   Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)        (G.107 §3.6, BurstR 1: random loss)
 *   Idd = 0 for Ta ≤ 100 ms, else 25 · ((1 + X⁶)^⅙ − 3 · (1 + (X/3)⁶)^⅙ + 2), X = log2(Ta / 100)   (§3.4)
 *   MOS = 1 for R < 0, 4.5 for R > 100, else 1 + 0.035 R + R (R − 60)(100 − R) · 7·10⁻⁶            (Annex B)
 *
 * The talker-echo terms stay at their defaults (echo is cancelled), so the delay impairment is Idd of
 * the one-way delay Ta; A (advantage) is 0.
 */

/** R of G.107's default parameters: a clear G.711 call without delay. */
export const DEFAULT_R = 93.2;

/** The equipment-impairment figures of a codec (G.113 Appendix I for G.711). */
export interface CodecImpairment {
  /** Ie: the codec's own impairment. */
  ie: number;
  /** Bpl: its robustness against packet loss. */
  bpl: number;
}

/** What the estimate is computed from. */
export interface EModelInput {
  codec: CodecImpairment;
  /** Packet loss in percent (0-100). */
  lossPct: number;
  /** One-way mouth-to-ear delay Ta in ms. */
  oneWayDelayMs: number;
  /** BurstR: 1 for random loss (the default), > 1 for bursty loss. */
  burstR?: number;
}

/** An estimate: the rating factor R and the MOS it maps to. */
export interface EModelEstimate {
  r: number;
  mos: number;
}

/**
 * G.711 as callbin receives it: Ie 0, Bpl 4.3 (G.113 Appendix I, random loss without packet-loss
 * concealment: callbin's jitter buffer plays a lost frame as silence).
 */
export const G711_IMPAIRMENT: CodecImpairment = { ie: 0, bpl: 4.3 };

/**
 * Opus at `bitrateBps`, heard on a narrowband scale: G.113 gives Opus no figures, so callbin takes
 * an impairment falling from 25 at 6 kb/s to 0 at 24 kb/s and above (interpolated between 6, 8, 12,
 * 16, 20 and 24 kb/s), and Bpl 20 (Opus conceals loss itself). An estimate, documented as such.
 */
export function opusImpairment(bitrateBps: number): CodecImpairment {
  const kbps = bitrateBps / 1000;
  const points: readonly (readonly [number, number])[] = [
    [6, 25],
    [8, 20],
    [12, 11],
    [16, 6],
    [20, 3],
    [24, 0],
  ];
  let ie = 25;
  if (kbps >= 24) ie = 0;
  else if (kbps > 6) {
    for (let i = 1; i < points.length; i++) {
      const [k1, i1] = points[i] as readonly [number, number];
      const [k0, i0] = points[i - 1] as readonly [number, number];
      if (kbps <= k1) {
        ie = i0 + ((kbps - k0) / (k1 - k0)) * (i1 - i0);
        break;
      }
    }
  }
  return { ie, bpl: 20 };
}

/** G.107 §3.6: the effective equipment impairment under packet loss. */
export function effectiveImpairment(codec: CodecImpairment, lossPct: number, burstR = 1): number {
  const ppl = Math.min(100, Math.max(0, lossPct));
  return codec.ie + ((95 - codec.ie) * ppl) / (ppl / burstR + codec.bpl);
}

/** G.107 §3.4: the delay impairment Idd of an absolute one-way delay `ta` ms (0 up to 100 ms). */
export function delayImpairment(ta: number): number {
  if (!(ta > 100)) return 0;
  const x = Math.log2(ta / 100);
  return 25 * ((1 + x ** 6) ** (1 / 6) - 3 * (1 + (x / 3) ** 6) ** (1 / 6) + 2);
}

/** G.107 Annex B: the MOS (conversational quality, estimated) of a rating factor R. */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

/** R and MOS of a leg (MOS rounded to two decimals, R to one). */
export function estimateQuality(input: EModelInput): EModelEstimate {
  const r =
    DEFAULT_R -
    delayImpairment(Math.max(0, input.oneWayDelayMs)) -
    effectiveImpairment(input.codec, input.lossPct, input.burstR ?? 1);
  const clamped = Math.max(0, Math.min(100, r));
  return { r: Math.round(clamped * 10) / 10, mos: Math.round(mosFromR(clamped) * 100) / 100 };
}
