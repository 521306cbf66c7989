import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CallService, RecorderPort, RecordingOptions } from '../calls/index.ts';
import type { DtmfDigit, LegRecorder } from '../media/index.ts';
import { newId, type Logger } from '../shared/index.ts';
import type { CallMedia } from './call-media.ts';

const DIGITS = new Set<string>(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D']);

/**
 * The calls domain's RecorderPort on local disk: each recording writes `<id>_in.wav` (what the
 * endpoint said) and `<id>_out.wav` (what it heard) under `<dataDir>/recordings`, streamed so a
 * crash loses at most the last second. The recording resource and its API come with conferences.
 */
export class LegRecording implements RecorderPort {
  readonly #dir: string;
  readonly #media: CallMedia;
  readonly #calls: () => CallService;
  readonly #logger: Logger;
  readonly #active = new Map<string, { recorder: LegRecorder; callId: string }>();

  constructor(options: { dataDir: string; media: CallMedia; calls: () => CallService; logger: Logger }) {
    this.#dir = join(options.dataDir, 'recordings');
    this.#media = options.media;
    this.#calls = options.calls;
    this.#logger = options.logger;
  }

  async start(request: { call_id: string; customer_id: string; leg_id: string; options: RecordingOptions }): Promise<{ recording_id: string }> {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const id = newId();
    const o = request.options;
    const key: DtmfDigit | 'any' | undefined =
      o.end_of_key === 'any' ? 'any' : o.end_of_key && DIGITS.has(o.end_of_key) ? (o.end_of_key as DtmfDigit) : undefined;
    const recorder = await this.#media.endpoint(request.leg_id).record({
      basePath: join(this.#dir, id),
      format: 'split',
      ...(o.duration ? { durationSec: o.duration } : {}),
      ...(o.end_of_silence ? { endOfSilenceSec: o.end_of_silence } : {}),
      ...(key ? { endOfKey: key } : {}),
    });
    this.#active.set(id, { recorder, callId: request.call_id });
    recorder.on('stopped', (result) => {
      this.#active.delete(id);
      // Stopped by a condition of its own (duration, silence, key): the call's bookkeeping follows.
      if (result.reason !== 'manual') {
        this.#calls().recordingEnded(request.call_id, id).catch((err: unknown) => this.#logger.warn({ err, recording_id: id }, 'recording end not recorded on the call'));
      }
    });
    return { recording_id: id };
  }

  async stop(recordingId: string): Promise<void> {
    const active = this.#active.get(recordingId);
    if (!active) return;
    this.#active.delete(recordingId);
    await active.recorder.stop('manual');
  }

  /** Finalise every running recording (shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.#active.keys()].map((id) => this.stop(id)));
  }
}
