import { LegRecorder, type DtmfDigit, type LegRecorderOptions } from '../media/index.ts';
import { InvalidStateError } from '../shared/index.ts';

/**
 * A listener of a leg's audio, called on every 20 ms media clock tick with what the leg heard
 * (decoded; silence while muted `out` or not receiving) and what it was sent. Both arrays are reused
 * after the call: copy what must be kept.
 */
export type LegTapListener = (heard: Int16Array, sent: Int16Array) => void;

/**
 * Everything that takes a leg's audio on each tick: its running recordings and its taps. The
 * endpoint decodes incoming audio on a tick only while this is not {@link empty} (docs/media.md
 * "Jitter buffer": nothing is decoded unless something reads it).
 */
export class LegTaps {
  readonly #recorders = new Set<LegRecorder>();
  readonly #taps = new Set<LegTapListener>();

  /** True when nothing listens: the tick need not decode. */
  get empty(): boolean {
    return this.#recorders.size === 0 && this.#taps.size === 0;
  }

  /** Listeners attached now (recordings and taps). */
  get size(): number {
    return this.#recorders.size + this.#taps.size;
  }

  /** Opens a recording and adds it (it leaves once stopped); stops it again if the leg closed meanwhile. */
  async record(options: LegRecorderOptions, closed: () => boolean): Promise<LegRecorder> {
    const recorder = await LegRecorder.open(options);
    if (closed()) {
      await recorder.stop('manual');
      throw new InvalidStateError('media endpoint closed while the recording opened', 'MEDIA_ENDPOINT_CLOSED');
    }
    this.#recorders.add(recorder);
    recorder.on('stopped', () => this.#recorders.delete(recorder));
    return recorder;
  }

  /** Adds a tap; returns the function that removes it (idempotent). */
  addTap(listener: LegTapListener): () => void {
    // A wrapper of its own, so the same function attached twice is two taps removed one by one.
    const tap: LegTapListener = (heard, sent) => listener(heard, sent);
    this.#taps.add(tap);
    return () => {
      this.#taps.delete(tap);
    };
  }

  /** Hands one tick's frames to every recording and tap; a tap that throws is removed, never the tick broken. */
  write(heard: Int16Array, sent: Int16Array): void {
    for (const r of this.#recorders) r.write(heard, sent);
    for (const tap of this.#taps) {
      try {
        tap(heard, sent);
      } catch {
        this.#taps.delete(tap);
      }
    }
  }

  /** A key press heard on the leg, for recordings that stop on a key. */
  onDtmf(digit: DtmfDigit): void {
    for (const r of this.#recorders) r.onDtmf(digit);
  }

  /** Removes every tap and recording; returns the recordings, still running, for the caller to stop. */
  detachAll(): LegRecorder[] {
    const recorders = [...this.#recorders];
    this.#recorders.clear();
    this.#taps.clear();
    return recorders;
  }
}
