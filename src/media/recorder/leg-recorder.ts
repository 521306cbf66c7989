import { TypedEmitter, type Clock } from '../../shared/index.ts';
import type { DtmfDigit } from '../dtmf/index.ts';
import { WAV_SAMPLE_RATE } from './wav-format.ts';
import { WavWriter } from './wav-writer.ts';

/** Why a recording stopped. */
export type RecordingStopReason = 'duration' | 'silence' | 'key' | 'manual';

/** Options of a LegRecorder. */
export interface LegRecorderOptions {
  /** Path without extension: `<base>_in.wav` + `<base>_out.wav` (split) or `<base>.wav` (stereo). */
  basePath: string;
  /** `split` = one mono file per direction; `stereo` = left what the endpoint said, right what it heard. */
  format?: 'split' | 'stereo';
  /** Stop after this many seconds. */
  durationSec?: number;
  /** Stop after this many seconds of silence from the endpoint. */
  endOfSilenceSec?: number;
  /** RMS level under which a frame counts as silence; default 200 (about -44 dBFS). */
  silenceRms?: number;
  /** Stop when this digit (or any digit) is pressed. */
  endOfKey?: DtmfDigit | 'any';
  clock?: Clock;
}

/** A finished recording. */
export interface RecordingResult {
  reason: RecordingStopReason;
  durationSec: number;
  files: { path: string; bytes: number }[];
}

/** Events of a LegRecorder. */
export type LegRecorderEvents = {
  /** A stop condition fired (or stop() was called) and the files are finalised. */
  stopped: [result: RecordingResult];
};

function rms(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += (frame[i] as number) * (frame[i] as number);
  return Math.sqrt(sum / frame.length);
}

/**
 * Records one leg: fed one pair of frames per tick (`in` = what the endpoint said, `out` = what it
 * heard), it streams them to WAV and stops on its own by duration, silence or DTMF key.
 */
export class LegRecorder extends TypedEmitter<LegRecorderEvents> {
  readonly #options: LegRecorderOptions;
  readonly #writers: WavWriter[];
  readonly #stereo: Int16Array | undefined;
  #silentSamples = 0;
  #stopping: Promise<RecordingResult> | undefined;

  private constructor(options: LegRecorderOptions, writers: WavWriter[]) {
    super();
    this.#options = options;
    this.#writers = writers;
    this.#stereo = options.format === 'stereo' ? new Int16Array(320) : undefined;
  }

  /** Opens the file(s). */
  static async open(options: LegRecorderOptions): Promise<LegRecorder> {
    const clock = options.clock ? { clock: options.clock } : {};
    if (options.format === 'stereo') {
      return new LegRecorder(options, [await WavWriter.open(`${options.basePath}.wav`, { channels: 2, ...clock })]);
    }
    const incoming = await WavWriter.open(`${options.basePath}_in.wav`, clock);
    try {
      return new LegRecorder(options, [incoming, await WavWriter.open(`${options.basePath}_out.wav`, clock)]);
    } catch (err) {
      await incoming.close();
      throw err;
    }
  }

  /** Seconds recorded so far. */
  get durationSec(): number {
    return (this.#writers[0] as WavWriter).durationSec;
  }

  /** True once a stop condition fired or stop() was called. */
  get stopped(): boolean {
    return this.#stopping !== undefined;
  }

  /** Records one tick; frames of equal length. Ignored after stop. */
  write(inFrame: Int16Array, outFrame: Int16Array): void {
    if (this.#stopping) return;
    const stereo = this.#stereo;
    if (stereo) {
      const buf = stereo.length === inFrame.length * 2 ? stereo : new Int16Array(inFrame.length * 2);
      for (let i = 0; i < inFrame.length; i++) {
        buf[2 * i] = inFrame[i] as number;
        buf[2 * i + 1] = outFrame[i] as number;
      }
      (this.#writers[0] as WavWriter).write(buf);
    } else {
      (this.#writers[0] as WavWriter).write(inFrame);
      (this.#writers[1] as WavWriter).write(outFrame);
    }
    this.#checkStops(inFrame);
  }

  /** Tells the recorder a key was pressed (stops it when it matches `endOfKey`). */
  onDtmf(digit: DtmfDigit): void {
    const key = this.#options.endOfKey;
    if (!this.#stopping && key !== undefined && (key === 'any' || key === digit)) void this.stop('key');
  }

  /** Finalises the files; idempotent (later calls return the first result). */
  stop(reason: RecordingStopReason = 'manual'): Promise<RecordingResult> {
    this.#stopping ??= this.#finish(reason);
    return this.#stopping;
  }

  #checkStops(inFrame: Int16Array): void {
    const o = this.#options;
    if (o.durationSec !== undefined && this.durationSec >= o.durationSec) {
      void this.stop('duration');
      return;
    }
    if (o.endOfSilenceSec === undefined) return;
    this.#silentSamples = rms(inFrame) < (o.silenceRms ?? 200) ? this.#silentSamples + inFrame.length : 0;
    if (this.#silentSamples >= o.endOfSilenceSec * WAV_SAMPLE_RATE) void this.stop('silence');
  }

  async #finish(reason: RecordingStopReason): Promise<RecordingResult> {
    const durationSec = this.durationSec;
    const files = [];
    for (const w of this.#writers) files.push({ path: w.path, bytes: await w.close() });
    const result = { reason, durationSec, files };
    this.emit('stopped', result);
    return result;
  }
}
