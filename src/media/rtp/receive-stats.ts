/** RTP clock rate of G.711 and telephone-event (RFC 3551 §4.5.14, RFC 4733 §2.1). */
export const RTP_CLOCK_RATE = 8000;

const RTP_SEQ_MOD = 0x10000;
/** RFC 3550 A.1: a forward jump up to this is packets lost; beyond it, a possible restart of the source. */
export const MAX_DROPOUT = 3000;
/** RFC 3550 A.1: a step back of up to this is a late (reordered) or duplicate packet. */
export const MAX_MISORDER = 100;
/** Sequence numbers behind the highest whose arrival is remembered, to tell duplicates (a power of two). */
const WINDOW = 128;

/**
 * Reception statistics of one stream, after RFC 3550 Appendix A.1 (sequence tracking with wrap
 * cycles, dropout and misorder bounds), A.3 (expected and lost) and A.8 (interarrival jitter),
 * docs/timeline.md "Media quality". A few integer operations per packet, no allocation.
 *
 * Differences from the appendix, both on the side of a truthful loss figure: a duplicate of one of
 * the last 128 sequence numbers is counted in `duplicates` and not as received (the appendix counts
 * it, which can make loss negative); and a restart of the source (a new SSRC, or two packets in a row
 * beyond the dropout bound) keeps the figures counted so far and adds the new run's to them.
 */
export class ReceiveStats {
  /** Every packet taken (duplicates included). */
  #packets = 0;
  #bytes = 0;
  /** Packets that count towards the sequence accounting (not duplicates, not an unconfirmed jump). */
  #counted = 0;
  #duplicates = 0;
  #ssrc = -1;
  #baseSeq = -1;
  #maxSeq = 0;
  #cycles = 0;
  #badSeq = -1;
  /** Expected and counted packets of earlier runs (before a restart). */
  #expectedBefore = 0;
  #countedBefore = 0;
  readonly #seen = new Uint32Array(WINDOW / 32);
  #transit = 0;
  #hasTransit = false;
  #jitter = 0;
  #expectedPrior = 0;
  #countedPrior = 0;

  /** Packets received (duplicates included). */
  get received(): number {
    return this.#packets;
  }

  /** Payload-plus-header bytes received. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Packets that came a second time (within the last 128 sequence numbers). */
  get duplicates(): number {
    return this.#duplicates;
  }

  /**
   * Records a packet; `arrivalMs` is the local receive time, `clockRate` the stream's RTP clock,
   * `ssrc` its source (a new one restarts the sequence and jitter tracking); `audio` false leaves
   * the jitter alone (telephone-events repeat their start timestamp, RFC 4733 §2.5.1.2).
   */
  update(
    seq: number,
    timestamp: number,
    length: number,
    arrivalMs: number,
    clockRate = RTP_CLOCK_RATE,
    ssrc = -1,
    audio = true,
  ): void {
    this.#packets++;
    this.#bytes += length;
    if (ssrc !== this.#ssrc && ssrc !== -1) {
      if (this.#ssrc !== -1) this.#restart();
      this.#ssrc = ssrc;
    }
    if (!this.#countSeq(seq)) return;
    this.#counted++;
    if (audio) this.#updateJitter(timestamp, arrivalMs, clockRate);
  }

  /** Extended highest sequence number received (cycles in the high 16 bits). */
  get extendedMaxSeq(): number {
    return this.#cycles + this.#maxSeq;
  }

  /** Packets expected: from the first to the highest sequence number of each run (RFC 3550 A.3). */
  get expected(): number {
    return this.#expectedBefore + (this.#baseSeq < 0 ? 0 : this.extendedMaxSeq - this.#baseSeq + 1);
  }

  /** Cumulative packets lost: expected minus received, duplicates not counted (a late packet older than the first can make it negative). */
  get lost(): number {
    return this.expected - this.#countedBefore - this.#counted;
  }

  /** Interarrival jitter in RTP timestamp units. */
  get jitter(): number {
    return this.#jitter;
  }

  /** Fraction lost since the previous call, as the 8-bit fixed-point value of RFC 3550 §6.4.1. */
  takeFractionLost(): number {
    const expected = this.expected;
    const counted = this.#countedBefore + this.#counted;
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = counted - this.#countedPrior;
    this.#expectedPrior = expected;
    this.#countedPrior = counted;
    const lostInterval = expectedInterval - receivedInterval;
    return expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
  }

  /** RFC 3550 A.1 `update_seq`: false for a packet that does not count (a duplicate, an unconfirmed jump). */
  #countSeq(seq: number): boolean {
    if (this.#baseSeq < 0) {
      this.#init(seq);
      return true;
    }
    const udelta = (seq - this.#maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (udelta === 0) return this.#duplicate();
    if (udelta < MAX_DROPOUT) {
      // In order, with a permissible gap; a step over zero counts another cycle.
      if (seq < this.#maxSeq) this.#cycles += RTP_SEQ_MOD;
      this.#advanceWindow(udelta);
      this.#maxSeq = seq;
      this.#mark(seq);
      return true;
    }
    if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: two sequential packets say the source restarted; one alone is ignored.
      if (seq !== this.#badSeq) {
        this.#badSeq = (seq + 1) % RTP_SEQ_MOD;
        return false;
      }
      this.#restart();
      this.#init(seq);
      return true;
    }
    // Late (reordered) or a duplicate of a recent packet.
    const back = RTP_SEQ_MOD - udelta;
    if (back < WINDOW) {
      if (this.#marked(seq)) return this.#duplicate();
      this.#mark(seq);
    }
    return true;
  }

  #duplicate(): false {
    this.#duplicates++;
    return false;
  }

  #init(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#cycles = 0;
    this.#badSeq = -1;
    this.#seen.fill(0);
    this.#mark(seq);
  }

  /** Keeps what the run so far counted and starts a new one at the next packet. */
  #restart(): void {
    if (this.#baseSeq >= 0) this.#expectedBefore += this.extendedMaxSeq - this.#baseSeq + 1;
    this.#countedBefore += this.#counted;
    this.#counted = 0;
    this.#baseSeq = -1;
    this.#hasTransit = false;
  }

  #advanceWindow(steps: number): void {
    if (steps >= WINDOW) {
      this.#seen.fill(0);
      return;
    }
    for (let i = 1; i <= steps; i++) {
      const bit = (this.#maxSeq + i) & (WINDOW - 1);
      this.#seen[bit >> 5] = ((this.#seen[bit >> 5] as number) & ~(1 << (bit & 31))) >>> 0;
    }
  }

  #mark(seq: number): void {
    const bit = seq & (WINDOW - 1);
    this.#seen[bit >> 5] = ((this.#seen[bit >> 5] as number) | (1 << (bit & 31))) >>> 0;
  }

  #marked(seq: number): boolean {
    const bit = seq & (WINDOW - 1);
    return (((this.#seen[bit >> 5] as number) >>> (bit & 31)) & 1) === 1;
  }

  /** RFC 3550 A.8: J += (|D| - J) / 16, with D the difference of relative transit times. */
  #updateJitter(timestamp: number, arrivalMs: number, clockRate: number): void {
    const arrival = Math.round((arrivalMs * clockRate) / 1000);
    const transit = arrival - timestamp;
    if (!this.#hasTransit) {
      this.#hasTransit = true;
      this.#transit = transit;
      return;
    }
    // `| 0` keeps the difference right across a timestamp wrap (32-bit serial arithmetic).
    const d = Math.abs((transit - this.#transit) | 0);
    this.#transit = transit;
    this.#jitter += (d - this.#jitter) / 16;
  }
}
