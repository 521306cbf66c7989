import type { CallService, RecorderPort, RecordingOptions } from '../../calls/index.ts';
import {
  WavWriter,
  type AudioSink,
  type DtmfDigit,
  type LegRecorder,
  type RecordingResult,
} from '../../media/index.ts';
import type { CaptureResult, RecordingCapture, RecordingService, RecordingSource } from '../../recordings/index.ts';
import { systemClock, type Clock, type Logger } from '../../shared/index.ts';
import type { MediaEndpoint } from '../../endpoint/index.ts';
import type { MediaTimeline } from './media-timeline.ts';

const DIGITS = new Set<string>(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D']);

function endOfKey(key: string | undefined): DtmfDigit | 'any' | undefined {
  if (key === 'any') return 'any';
  return key !== undefined && DIGITS.has(key) ? (key as DtmfDigit) : undefined;
}

function captureResult(result: RecordingResult): CaptureResult {
  return { reason: result.reason, durationSec: result.durationSec };
}

/**
 * A call leg's audio as a recording source: `<base>_in.wav` (what the endpoint said) and
 * `<base>_out.wav` (what it heard), with the call's stop conditions (duration, silence, key).
 */
export class LegRecordingSource implements RecordingSource {
  readonly layout = 'split' as const;
  readonly #endpoint: MediaEndpoint;
  readonly #options: RecordingOptions;

  constructor(endpoint: MediaEndpoint, options: RecordingOptions) {
    this.#endpoint = endpoint;
    this.#options = options;
  }

  async start(basePath: string, onEnded: (result: CaptureResult) => void): Promise<RecordingCapture> {
    const o = this.#options;
    const key = endOfKey(o.end_of_key);
    // `_in` is the leg's packets placed by RTP timestamp, the endpoint's default (docs/media.md "Recording").
    const recorder: LegRecorder = await this.#endpoint.record({
      basePath,
      format: 'split',
      ...(o.duration ? { durationSec: o.duration } : {}),
      ...(o.end_of_silence ? { endOfSilenceSec: o.end_of_silence } : {}),
      ...(key ? { endOfKey: key } : {}),
    });
    let asked = false;
    // The endpoint closing (hangup) stops the recorder too: that is an end by itself for the service.
    recorder.on('stopped', (result) => {
      if (!asked) onEnded(captureResult(result));
    });
    return {
      stop: async () => {
        asked = true;
        return captureResult(await recorder.stop('manual'));
      },
    };
  }
}

/**
 * A mix (a conference) as a recording source writing `<base>.wav`. `attach` hands the mixer a sink
 * that takes one 20 ms frame of the mix per tick and returns a function that detaches it:
 * `service.startRecording({reference_type: 'conference', reference_id, customer_id, source: new MixRecordingSource(attach)})`.
 */
export class MixRecordingSource implements RecordingSource {
  readonly layout = 'mix' as const;
  readonly #attach: (sink: AudioSink) => () => void;
  readonly #clock: Clock;

  constructor(attach: (sink: AudioSink) => () => void, options: { clock?: Clock } = {}) {
    this.#attach = attach;
    this.#clock = options.clock ?? systemClock;
  }

  async start(basePath: string): Promise<RecordingCapture> {
    const writer = await WavWriter.open(`${basePath}.wav`, { clock: this.#clock });
    let open = true;
    const detach = this.#attach({
      write: (frame) => {
        if (open) writer.write(frame);
      },
    });
    let result: Promise<CaptureResult> | undefined;
    return {
      stop: () => {
        result ??= (async () => {
          open = false;
          detach();
          const durationSec = writer.durationSec;
          await writer.close();
          return { reason: 'manual' as const, durationSec };
        })();
        return result;
      },
    };
  }
}

/** What CallRecordings is built from. */
export interface CallRecordingsOptions {
  recordings: RecordingService;
  /** The media endpoint of a call's leg (CallMedia.endpoint). */
  endpoint: (legId: string) => MediaEndpoint;
  calls: () => CallService;
  logger: Logger;
  /** Where recording starts and stops are put on the call's timeline (docs/timeline.md); none without it. */
  timeline?: MediaTimeline | undefined;
}

/**
 * The calls domain's RecorderPort over the RecordingService: each call recording is a Recording
 * resource of the leg's audio; when one ends other than by `stop` (a stop condition, deletion, the
 * leg going away) the call's `recording_id` is cleared through `CallService.recordingEnded`.
 */
export class CallRecordings implements RecorderPort {
  readonly #recordings: RecordingService;
  readonly #endpoint: (legId: string) => MediaEndpoint;
  readonly #timeline: MediaTimeline | undefined;

  constructor(options: CallRecordingsOptions) {
    this.#recordings = options.recordings;
    this.#endpoint = options.endpoint;
    this.#timeline = options.timeline;
    this.#recordings.on('ended', (recording) => {
      if (recording.reference_type !== 'call') return;
      this.#timeline?.recordingStopped(recording.id);
      // recordingEnded ignores a recording that is no longer the call's active one (an API stop).
      options
        .calls()
        .recordingEnded(recording.reference_id, recording.id)
        .catch((err: unknown) => {
          options.logger.warn(
            { err, call_id: recording.reference_id, recording_id: recording.id },
            'recording end not recorded on the call',
          );
        });
    });
  }

  async start(request: {
    call_id: string;
    customer_id: string;
    leg_id: string;
    options: RecordingOptions;
  }): Promise<{ recording_id: string }> {
    const recording = await this.#recordings.startRecording({
      reference_type: 'call',
      reference_id: request.call_id,
      customer_id: request.customer_id,
      source: new LegRecordingSource(this.#endpoint(request.leg_id), request.options),
      ...(request.options.on_end_flow_id ? { on_end_flow_id: request.options.on_end_flow_id } : {}),
      ...(request.options.activeflow_id ? { activeflow_id: request.options.activeflow_id } : {}),
    });
    this.#timeline?.recordingStarted(request.leg_id, { ...request, id: recording.id });
    return { recording_id: recording.id };
  }

  async stop(recordingId: string): Promise<void> {
    await this.#recordings.stopRecording(recordingId);
  }

  /** Finalises every running recording (shutdown). */
  close(): Promise<void> {
    return this.#recordings.close();
  }
}
