/** The sample rate of every PCM buffer callbin plays or records. */
export const TELEPHONY_RATE_HZ = 8000;

/** Zero crossings of the sinc on each side of the centre: sets the filter's transition width. */
const ZERO_CROSSINGS = 24;
/** Kaiser β ≈ 8 gives about 80 dB of stop-band attenuation. */
const KAISER_BETA = 8;
/** Cut-off as a fraction of the lower Nyquist frequency, leaving room for the transition band. */
const CUTOFF_FRACTION = 0.9;
/** Above this many phases the per-phase tables would be large, so weights are computed per sample. */
const MAX_TABLE_PHASES = 2048;

/** Zeroth-order modified Bessel function of the first kind (series), for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50 && term > sum * 1e-12; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

/** Greatest common divisor of two positive integers. */
function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** A windowed-sinc low-pass design for one rate conversion. */
interface FilterDesign {
  up: number;
  down: number;
  /** Cut-off in cycles per input sample. */
  cutoff: number;
  /** Taps on each side of the centre, in input samples. */
  halfTaps: number;
  /** Per-phase weights (phase-major), when the phase count is small enough to tabulate. */
  table?: Float64Array;
}

const designs = new Map<string, FilterDesign>();

/** Fills `out` with the normalised weights for an output point `frac` input samples past `x[i]`. */
function weights(d: FilterDesign, frac: number, out: Float64Array): void {
  const i0 = besselI0(KAISER_BETA);
  let sum = 0;
  for (let k = 0; k < out.length; k++) {
    const dist = k - d.halfTaps + 1 - frac;
    const x = 2 * d.cutoff * dist;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = dist / d.halfTaps;
    const win = Math.abs(r) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0;
    out[k] = sinc * win;
    sum += out[k] as number;
  }
  // Normalising each phase to unit gain keeps DC exact and avoids a ripple at the phase rate.
  for (let k = 0; k < out.length; k++) out[k] = (out[k] as number) / sum;
}

/** Designs (once per rate pair) the anti-aliasing / interpolation filter. */
function design(inRate: number, outRate: number): FilterDesign {
  const key = `${inRate}:${outRate}`;
  const cached = designs.get(key);
  if (cached) return cached;
  const g = gcd(inRate, outRate);
  const cutoff = 0.5 * CUTOFF_FRACTION * Math.min(1, outRate / inRate);
  const halfTaps = Math.ceil(ZERO_CROSSINGS / (2 * cutoff));
  const d: FilterDesign = { up: outRate / g, down: inRate / g, cutoff, halfTaps };
  if (d.up <= MAX_TABLE_PHASES) {
    const taps = 2 * halfTaps;
    d.table = new Float64Array(d.up * taps);
    const row = new Float64Array(taps);
    for (let p = 0; p < d.up; p++) {
      weights(d, p / d.up, row);
      d.table.set(row, p * taps);
    }
  }
  designs.set(key, d);
  return d;
}

/**
 * Converts 16-bit mono PCM between sample rates with a Kaiser-windowed sinc low-pass
 * (polyphase, ~80 dB stop band), so down-sampling to 8 kHz does not alias.
 */
export function resample(input: Int16Array, inRate: number, outRate: number = TELEPHONY_RATE_HZ): Int16Array {
  if (!Number.isInteger(inRate) || inRate <= 0 || !Number.isInteger(outRate) || outRate <= 0) {
    throw new RangeError(`sample rates must be positive integers (got ${inRate} -> ${outRate})`);
  }
  if (inRate === outRate) return input.slice();
  const d = design(inRate, outRate);
  const taps = 2 * d.halfTaps;
  const outLength = Math.floor((input.length * d.up) / d.down);
  const out = new Int16Array(outLength);
  const row = new Float64Array(taps);
  for (let n = 0; n < outLength; n++) {
    const pos = n * d.down;
    const i = Math.floor(pos / d.up);
    const phase = pos - i * d.up;
    let w: Float64Array;
    if (d.table) {
      w = d.table.subarray(phase * taps, (phase + 1) * taps);
    } else {
      weights(d, phase / d.up, row);
      w = row;
    }
    let acc = 0;
    const start = i - d.halfTaps + 1;
    const kFrom = Math.max(0, -start);
    const kTo = Math.min(taps, input.length - start);
    for (let k = kFrom; k < kTo; k++) acc += (w[k] as number) * (input[start + k] as number);
    out[n] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
  }
  return out;
}
