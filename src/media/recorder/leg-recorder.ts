import { TypedEmitter, type Clock } from '../../shared/index.ts';
import type { DtmfDigit } from '../dtmf/index.ts';
import { HeardTimeline } from './heard-timeline.ts';
import { WAV_SAMPLE_RATE } from './wav-format.ts';
import { WavWriter } from './wav-writer.ts';

/**
 * The leg's received audio packets as they arrive, decoded, with their RTP timestamps (8 kHz units,
 * G.711), for a recording to place each where it belongs rather than where the jitter buffer's
 * playout put it (docs/media.md "Recording").
 */
export interface HeardPacketFeed {
  /** True while packets are passed on; otherwise the tick's frame is recorded. */
  readonly available: boolean;
  /** Adds a listener (the array is reused after the call); returns the function that removes it. */
  add(listener: (pcm: Int16Array, rtpTimestamp: number) => void): () => void;
}

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
  /**
   * `split` only: `_in` is made of these packets, placed by timestamp, while the feed is available
   * (the tick's frame otherwise); without it `_in` takes the tick's frame.
   */
  heardPackets?: HeardPacketFeed;
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
 * heard), it streams them to WAV and stops on its own by duration, silence or DTMF key. A split
 * recording places `in` on a HeardTimeline: by RTP timestamp from a {@link HeardPacketFeed}, so a
 * late burst neither shifts nor repeats frames, else the tick's frame at the tick.
 */
export class LegRecorder extends TypedEmitter<LegRecorderEvents> {
  readonly #options: LegRecorderOptions;
  readonly #writers: WavWriter[];
  readonly #stereo: Int16Array | undefined;
  /** Where `_in` is placed (split recordings). */
  readonly #heard: HeardTimeline | undefined;
  #offPackets: (() => void) | undefined;
  /** `_out` frames held back so `_out` is written in step with `_in` (equal files on disk after a crash). */
  readonly #outQueue: Int16Array[] = [];
  #outWritten = 0;
  /** Samples per channel recorded so far by the tick clock. */
  #ticked = 0;
  #silentSamples = 0;
  #stopping: Promise<RecordingResult> | undefined;

  private constructor(options: LegRecorderOptions, writers: WavWriter[]) {
    super();
    this.#options = options;
    this.#writers = writers;
    this.#stereo = options.format === 'stereo' ? new Int16Array(320) : undefined;
    const incoming = writers[0] as WavWriter;
    this.#heard = this.#stereo ? undefined : new HeardTimeline((samples) => incoming.write(samples));
    this.#listen();
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
    return this.#ticked / WAV_SAMPLE_RATE;
  }

  /** What the `_in` placement did (split recordings). */
  get heardStats(): HeardTimeline['stats'] | undefined {
    return this.#heard?.stats;
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
    } else if (this.#heard) {
      this.#outQueue.push(outFrame.slice());
      this.#listen();
      if (!this.#offPackets || !this.#options.heardPackets?.available) this.#heard.placeFrame(inFrame, this.#ticked);
      this.#heard.advance(this.#ticked + inFrame.length);
      this.#writeOut(this.#heard.committed);
    }
    this.#ticked += inFrame.length;
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

  /** Writes the held `_out` samples before `upTo`. */
  #writeOut(upTo: number): void {
    const out = this.#writers[1] as WavWriter;
    while (this.#outQueue.length > 0 && this.#outWritten < upTo) {
      const head = this.#outQueue[0] as Int16Array;
      const n = Math.min(head.length, upTo - this.#outWritten);
      out.write(head.subarray(0, n));
      this.#outWritten += n;
      if (n === head.length) this.#outQueue.shift();
      else this.#outQueue[0] = head.subarray(n);
    }
  }

  /** Listens to the packet feed while it is available (a leg may move to or from G.711 by re-INVITE). */
  #listen(): void {
    const feed = this.#options.heardPackets;
    if (!this.#heard || this.#offPackets || !feed?.available) return;
    try {
      this.#offPackets = feed.add(this.#onPacket);
    } catch {
      // The leg is closing: the recording keeps what the ticks give.
    }
  }

  readonly #onPacket = (pcm: Int16Array, rtpTimestamp: number): void => {
    if (!this.#stopping && this.#options.heardPackets?.available)
      this.#heard?.placePacket(pcm, rtpTimestamp, this.#ticked);
  };

  async #finish(reason: RecordingStopReason): Promise<RecordingResult> {
    this.#offPackets?.();
    if (this.#heard) {
      // Packets placed beyond the last tick are kept, and `_out` is padded with silence to the same length.
      const samples = this.#heard.finish(this.#ticked);
      this.#writeOut(Number.POSITIVE_INFINITY);
      if (samples > this.#outWritten) (this.#writers[1] as WavWriter).write(new Int16Array(samples - this.#outWritten));
      this.#ticked = Math.max(this.#ticked, samples);
    }
    const durationSec = this.durationSec;
    const files = [];
    for (const w of this.#writers) files.push({ path: w.path, bytes: await w.close() });
    const result = { reason, durationSec, files };
    this.emit('stopped', result);
    return result;
  }
}
