/**
 * Latency histograms of the media streams benchmark (10 µs bins up to 2 s) and the per-call sets of
 * frame numbers that keep a frame seen twice from counting twice.
 */

const BIN_US = 10;
const MAX_US = 2_000_000;

/** p50, p99 and max of a histogram in ms; NaN when it is empty. */
export interface LatencyFigures {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** A fixed-size histogram of durations (anything past 2 s lands in the last bin). */
export class LatencyHistogram {
  readonly #bins = new Uint32Array(MAX_US / BIN_US + 1);
  #count = 0;
  #maxUs = 0;

  /** Adds one duration in µs (negative values, a clock read out of order, count as 0). */
  add(us: number): void {
    const v = Math.max(0, us);
    this.#bins[Math.min(this.#bins.length - 1, Math.floor(v / BIN_US))]!++;
    this.#count++;
    if (v > this.#maxUs) this.#maxUs = v;
  }

  /** The duration below which a share `q` of the values lie, in ms. */
  #quantileMs(q: number): number {
    const want = Math.floor(this.#count * q);
    let seen = 0;
    for (let i = 0; i < this.#bins.length; i++) {
      seen += this.#bins[i]!;
      if (seen > want) return ((i + 0.5) * BIN_US) / 1000;
    }
    return MAX_US / 1000;
  }

  /** Its figures. */
  figures(): LatencyFigures {
    if (this.#count === 0) return { count: 0, p50Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN };
    return {
      count: this.#count,
      p50Ms: this.#quantileMs(0.5),
      p99Ms: this.#quantileMs(0.99),
      maxMs: this.#maxUs / 1000,
    };
  }
}

/** Most frame numbers remembered per call (20 minutes of 20 ms frames): later ones are not deduplicated. */
const MAX_FRAMES = 60_000;

/** Which frame numbers of each call were seen. */
export class SeenFrames {
  readonly #calls = new Map<number, Uint8Array>();

  /** Records frame `seq` of call `call`; false when it was seen before. */
  add(call: number, seq: number): boolean {
    if (seq >= MAX_FRAMES) return true;
    let bits = this.#calls.get(call);
    if (!bits) this.#calls.set(call, (bits = new Uint8Array(MAX_FRAMES / 8)));
    const mask = 1 << (seq & 7);
    const byte = seq >> 3;
    if (bits[byte]! & mask) return false;
    bits[byte]! |= mask;
    return true;
  }
}

/** A measuring window in monotonic µs (both ends included); frames count by the time they were sent. */
export interface UsWindow {
  fromUs: number;
  toUs: number;
}

/** Whether `us` falls in `w`. */
export function inWindow(w: UsWindow | undefined, us: number): boolean {
  return w !== undefined && us >= w.fromUs && us <= w.toUs;
}
