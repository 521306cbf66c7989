/** Options of {@link PcmSource}. */
export interface PcmSourceOptions {
  /** Start again from the beginning at the end (hold music). */
  loop?: boolean;
}

/**
 * Plays a PCM buffer frame by frame: each `read()` fills a frame (usually 160 samples = 20 ms at
 * 8 kHz) for the RTP sender.
 */
export class PcmSource {
  readonly #pcm: Int16Array;
  readonly #loop: boolean;
  #position = 0;

  constructor(pcm: Int16Array, opts: PcmSourceOptions = {}) {
    this.#pcm = pcm;
    this.#loop = opts.loop ?? false;
  }

  /** Samples already read (wraps when looping). */
  get position(): number {
    return this.#position;
  }

  /** True when a non-looping source has delivered everything. */
  get done(): boolean {
    return this.#pcm.length === 0 || (!this.#loop && this.#position >= this.#pcm.length);
  }

  /** Starts again from the first sample. */
  rewind(): void {
    this.#position = 0;
  }

  /**
   * Fills `frame` with the next samples, padding the last partial frame with silence.
   * Returns false (leaving `frame` untouched) once there is nothing left to play.
   */
  read(frame: Int16Array): boolean {
    if (this.done) return false;
    let filled = 0;
    while (filled < frame.length) {
      const n = Math.min(frame.length - filled, this.#pcm.length - this.#position);
      frame.set(this.#pcm.subarray(this.#position, this.#position + n), filled);
      filled += n;
      this.#position += n;
      if (this.#position < this.#pcm.length) continue;
      if (!this.#loop) break;
      this.#position = 0;
    }
    frame.fill(0, filled);
    return true;
  }
}
