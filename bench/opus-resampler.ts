/**
 * Streaming 8 kHz ↔ 48 kHz conversion, the pipeline bench/opus.ts compares with libopus's own
 * 8 kHz input and output: a Kaiser-windowed sinc low-pass at the
 * high rate (the design of player/resample.ts, cut to a fixed ratio of 6 and kept as polyphase
 * tables), with history carried across 20 ms frames so frame edges leave no clicks. The pass band
 * reaches 3.4 kHz (the telephone band) and the stop band starts at 4.6 kHz, which is ≥ 70 dB down:
 * images above 4 kHz are removed on the way up, and on the way down what could fold lands above
 * 3.4 kHz. Both directions allocate nothing per frame.
 */

/** High rate / low rate. */
export const RATE_RATIO = 6;
/** Filter taps per polyphase branch (per 8 kHz sample): 192 taps at 48 kHz, about 4 ms. */
const TAPS_PER_PHASE = 32;
const TAPS = RATE_RATIO * TAPS_PER_PHASE;
/** Kaiser β for about 70 dB of stop-band attenuation (β = 0.1102·(A − 8.7)). */
const KAISER_BETA = 6.76;
/** Cut-off (−6 dB point) in cycles per 48 kHz sample: 4 kHz, between pass and stop band. */
const CUTOFF = 4000 / 48000;

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

/** The low-pass at 48 kHz, normalised to unit DC gain. */
function designTaps(): Float64Array {
  const h = new Float64Array(TAPS);
  const i0 = besselI0(KAISER_BETA);
  const centre = (TAPS - 1) / 2;
  let sum = 0;
  for (let n = 0; n < TAPS; n++) {
    const t = n - centre;
    const x = 2 * CUTOFF * t;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = t / (centre + 1);
    h[n] = sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0);
    sum += h[n] as number;
  }
  for (let n = 0; n < TAPS; n++) h[n] = (h[n] as number) / sum;
  return h;
}

const LOW_PASS = designTaps();

/**
 * Upsampling taps by branch: branch p holds h[p + 6k] · 6 for k = 0…31 (the gain of 6 restores the
 * level lost to the zeros stuffed between samples).
 */
const UP_BRANCHES: Float64Array[] = Array.from({ length: RATE_RATIO }, (_, p) => {
  const branch = new Float64Array(TAPS_PER_PHASE);
  for (let k = 0; k < TAPS_PER_PHASE; k++) branch[k] = (LOW_PASS[p + RATE_RATIO * k] as number) * RATE_RATIO;
  return branch;
});

function clamp16(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : Math.round(x);
}

/** 8 kHz → 48 kHz, frame by frame. */
export class Upsampler {
  /** The last 31 input samples, then the current frame. */
  #history: Float64Array;
  readonly #keep = TAPS_PER_PHASE - 1;

  constructor(maxInput = 160) {
    this.#history = new Float64Array(this.#keep + maxInput);
  }

  /** Converts `input` into `out` (six samples per input sample); returns the samples written. */
  process(input: Int16Array, out: Int16Array): number {
    const keep = this.#keep;
    if (this.#history.length < keep + input.length) {
      const grown = new Float64Array(keep + input.length);
      grown.set(this.#history.subarray(0, keep));
      this.#history = grown;
    }
    const x = this.#history;
    for (let i = 0; i < input.length; i++) x[keep + i] = input[i] as number;
    const n = Math.min(input.length, Math.floor(out.length / RATE_RATIO));
    for (let m = 0; m < n; m++) {
      const newest = keep + m;
      for (let p = 0; p < RATE_RATIO; p++) {
        const h = UP_BRANCHES[p] as Float64Array;
        let acc = 0;
        for (let k = 0; k < TAPS_PER_PHASE; k++) acc += (h[k] as number) * (x[newest - k] as number);
        out[m * RATE_RATIO + p] = clamp16(acc);
      }
    }
    x.copyWithin(0, input.length, input.length + keep);
    return n * RATE_RATIO;
  }
}

/** 48 kHz → 8 kHz, frame by frame; input lengths that are not a multiple of 6 carry the rest over. */
export class Downsampler {
  /** The last 191 input samples, then the current frame. */
  #history: Float64Array;
  readonly #keep = TAPS - 1;
  /** Input samples after the last output point, carried into the next frame. */
  #phase = 0;

  constructor(maxInput = 960) {
    this.#history = new Float64Array(this.#keep + maxInput);
  }

  /** Converts `input` into `out` (one sample per six input samples); returns the samples written. */
  process(input: Int16Array, out: Int16Array): number {
    const keep = this.#keep;
    if (this.#history.length < keep + input.length) {
      const grown = new Float64Array(keep + input.length);
      grown.set(this.#history.subarray(0, keep));
      this.#history = grown;
    }
    const x = this.#history;
    for (let i = 0; i < input.length; i++) x[keep + i] = input[i] as number;
    let written = 0;
    // Output points sit on every 6th input sample; `#phase` samples of the last frame were past one.
    let at = RATE_RATIO - 1 - this.#phase;
    for (; at < input.length && written < out.length; at += RATE_RATIO) {
      const newest = keep + at;
      let acc = 0;
      for (let j = 0; j < TAPS; j++) acc += (LOW_PASS[j] as number) * (x[newest - j] as number);
      out[written++] = clamp16(acc);
    }
    this.#phase = (this.#phase + input.length) % RATE_RATIO;
    x.copyWithin(0, input.length, input.length + keep);
    return written;
  }
}
