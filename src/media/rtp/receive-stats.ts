/** RTP clock rate of G.711 and telephone-event (RFC 3551 §4.5.14, RFC 4733 §2.1). */
export const RTP_CLOCK_RATE = 8000;

const RTP_SEQ_MOD = 0x10000;

/**
 * Reception statistics of one source, after RFC 3550 Appendix A.1 (sequence tracking with wrap
 * cycles) and A.8 (interarrival jitter).
 */
export class ReceiveStats {
  #received = 0;
  #bytes = 0;
  #baseSeq = -1;
  #maxSeq = 0;
  #cycles = 0;
  #transit = 0;
  #jitter = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;

  /** Packets received. */
  get received(): number {
    return this.#received;
  }

  /** Payload-plus-header bytes received. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Records a packet; `arrivalMs` is the local receive time, `clockRate` the stream's RTP clock. */
  update(seq: number, timestamp: number, length: number, arrivalMs: number, clockRate = RTP_CLOCK_RATE): void {
    this.#received++;
    this.#bytes += length;
    const arrival = Math.round((arrivalMs * clockRate) / 1000);
    const transit = arrival - timestamp;
    if (this.#baseSeq < 0) {
      this.#baseSeq = seq;
      this.#maxSeq = seq;
      this.#transit = transit;
      return;
    }
    const delta = (seq - this.#maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    // RFC 3550 A.1: a forward step below half the space advances max (wrapping counts a cycle).
    if (delta > 0 && delta < 0x8000) {
      if (seq < this.#maxSeq) this.#cycles += RTP_SEQ_MOD;
      this.#maxSeq = seq;
    }
    // RFC 3550 A.8: J += (|D| - J) / 16, with D the difference of relative transit times.
    const d = Math.abs((transit - this.#transit) | 0);
    this.#transit = transit;
    this.#jitter += (d - this.#jitter) / 16;
  }

  /** Extended highest sequence number received (cycles in the high 16 bits). */
  get extendedMaxSeq(): number {
    return this.#cycles + this.#maxSeq;
  }

  /** Packets expected from the first to the highest sequence seen. */
  get expected(): number {
    return this.#baseSeq < 0 ? 0 : this.extendedMaxSeq - this.#baseSeq + 1;
  }

  /** Cumulative packets lost (duplicates can make it negative, as the RFC allows). */
  get lost(): number {
    return this.expected - this.#received;
  }

  /** Interarrival jitter in RTP timestamp units. */
  get jitter(): number {
    return this.#jitter;
  }

  /** Fraction lost since the previous call, as the 8-bit fixed-point value of RFC 3550 §6.4.1. */
  takeFractionLost(): number {
    const expectedInterval = this.expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = this.expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    return expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval << 8) / expectedInterval);
  }
}
