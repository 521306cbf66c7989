/** Options of a JitterBuffer, in 20 ms frames. */
export interface JitterBufferOptions {
  /** Frames held before playout starts; default 3 (60 ms; 2 = 40 ms is the low end). */
  targetFrames?: number;
  /** Frames of lead beyond which the oldest are skipped to cut latency; default 10. */
  maxFrames?: number;
}

/** Counters of what the buffer did with its input. */
export interface JitterBufferStats {
  played: number;
  concealed: number;
  late: number;
  duplicate: number;
  skipped: number;
}

const SLOTS = 64;

function seqDiff(a: number, b: number): number {
  // RFC 3550 sequence numbers wrap at 16 bits: signed distance from b to a.
  return ((a - b + 0x18000) & 0xffff) - 0x8000;
}

/**
 * Reorders received payloads by sequence number and hands out one per 20 ms tick: waits for
 * `targetFrames` before starting, drops late and duplicate packets, and reports a gap (the caller
 * conceals it with silence) when the expected packet has not arrived by its turn.
 */
export class JitterBuffer {
  readonly #target: number;
  readonly #max: number;
  readonly #payloads: (Uint8Array | undefined)[] = new Array(SLOTS).fill(undefined);
  readonly #seqs = new Int32Array(SLOTS).fill(-1);
  #nextSeq = -1;
  #highestSeq = -1;
  #playing = false;
  #emptyTicks = 0;
  readonly #stats: JitterBufferStats = { played: 0, concealed: 0, late: 0, duplicate: 0, skipped: 0 };

  constructor(options: JitterBufferOptions = {}) {
    this.#target = Math.max(1, options.targetFrames ?? 3);
    this.#max = Math.max(this.#target + 1, Math.min(options.maxFrames ?? 10, SLOTS - 1));
  }

  /** What happened so far. */
  get stats(): Readonly<JitterBufferStats> {
    return this.#stats;
  }

  /** Frames buffered ahead of the playout point. */
  get depth(): number {
    return this.#nextSeq < 0 || this.#highestSeq < 0 ? 0 : Math.max(0, seqDiff(this.#highestSeq, this.#nextSeq) + 1);
  }

  /** Stores a payload (kept by reference, not copied); late and duplicate packets are dropped. */
  push(seq: number, payload: Uint8Array): void {
    // A jump far outside the window is a restarted stream (new SSRC, re-INVITE), not a late packet.
    if (this.#nextSeq < 0 || Math.abs(seqDiff(seq, this.#nextSeq)) > SLOTS * 4) this.reset(seq);
    if (seqDiff(seq, this.#nextSeq) < 0) {
      this.#stats.late++;
      return;
    }
    const slot = seq % SLOTS;
    if (this.#seqs[slot] === seq) {
      this.#stats.duplicate++;
      return;
    }
    this.#seqs[slot] = seq;
    this.#payloads[slot] = payload;
    if (this.#highestSeq < 0 || seqDiff(seq, this.#highestSeq) > 0) this.#highestSeq = seq;
    this.#emptyTicks = 0;
    while (this.depth > this.#max) this.#advance(true);
  }

  /**
   * Takes the payload due on this tick: a payload, `null` for a gap to conceal, or `undefined`
   * while buffering (before playout starts or after the stream went away).
   */
  pop(): Uint8Array | null | undefined {
    if (!this.#playing) {
      if (this.depth < this.#target) return undefined;
      this.#playing = true;
    }
    if (this.depth === 0 && ++this.#emptyTicks > this.#max) {
      // The stream paused (hold, DTMF, silence suppression): rebuffer before playing again.
      this.#playing = false;
      return undefined;
    }
    return this.#advance(false);
  }

  /** Forgets everything buffered and expects `nextSeq` next (stream restart). */
  reset(nextSeq: number): void {
    this.#seqs.fill(-1);
    this.#payloads.fill(undefined);
    this.#nextSeq = nextSeq & 0xffff;
    this.#highestSeq = -1;
    this.#playing = false;
    this.#emptyTicks = 0;
  }

  #advance(skipping: boolean): Uint8Array | null {
    const slot = this.#nextSeq % SLOTS;
    const payload = this.#seqs[slot] === this.#nextSeq ? this.#payloads[slot] : undefined;
    this.#seqs[slot] = -1;
    this.#payloads[slot] = undefined;
    this.#nextSeq = (this.#nextSeq + 1) & 0xffff;
    if (this.#highestSeq >= 0 && seqDiff(this.#nextSeq, this.#highestSeq) > 1)
      this.#highestSeq = (this.#nextSeq - 1) & 0xffff;
    if (skipping) {
      this.#stats.skipped++;
      return null;
    }
    if (payload) {
      this.#stats.played++;
      return payload;
    }
    this.#stats.concealed++;
    return null;
  }
}
