import {
  NotFoundError,
  TypedEmitter,
  newId,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
} from '../shared/index.ts';
import type {
  ByteRange,
  CaptureResult,
  CaptureStopReason,
  RecordingCapture,
  RecordingSource,
  RecordingStorage,
  RecordingStorePort,
} from './ports.ts';
import {
  newRecording,
  transition,
  type Recording,
  type RecordingFile,
  type RecordingReferenceType,
} from './recording.ts';

/**
 * What starts a recording. Calls pass a source over their leg's media endpoint; a conference
 * passes a `mix` source that writes its mix (see `MixRecordingSource` in the telephony adapters):
 * `service.startRecording({reference_type: 'conference', reference_id, customer_id, source})`.
 */
export interface StartRecordingRequest {
  reference_type: RecordingReferenceType;
  reference_id: string;
  customer_id: string;
  source: RecordingSource;
  on_end_flow_id?: string;
}

/** Why a recording ended: its capture's reason, `deleted` by the API, or `repaired` after a crash. */
export type RecordingEndReason = CaptureStopReason | 'deleted' | 'repaired';

/** Events of the RecordingService (after the change is stored). */
export type RecordingServiceEvents = {
  /** A recording reached `ended` (its `recording_finished` event is committed). */
  ended: [recording: Recording, reason: RecordingEndReason];
};

/** What the service is built from. */
export interface RecordingServiceOptions {
  store: RecordingStorePort;
  storage: RecordingStorage;
  clock?: Clock;
  logger?: Logger;
}

interface LiveRecording {
  recording: Recording;
  capture: RecordingCapture;
  ending?: Promise<Recording>;
}

/**
 * The Recording lifecycle: `initiating -> recording -> stopping -> ended`, each change stored with
 * its event (`recording_started`, `recording_finished` with every file's size and SHA-256) before
 * anyone hears of it; crash repair at start-up; deletion of rows and files.
 */
export class RecordingService extends TypedEmitter<RecordingServiceEvents> {
  readonly #store: RecordingStorePort;
  readonly #storage: RecordingStorage;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #live = new Map<string, LiveRecording>();

  constructor(options: RecordingServiceOptions) {
    super();
    this.#store = options.store;
    this.#storage = options.storage;
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? silentLogger).child({ module: 'recordings' });
  }

  /** Creates the recording, opens its files through `source` and moves it to `recording`. */
  async startRecording(request: StartRecordingRequest): Promise<Recording> {
    const initiating = newRecording({
      id: newId(),
      layout: request.source.layout,
      nowMs: this.#clock.now(),
      ...request,
    });
    await this.#storage.prepare();
    // Stored before the files open so a crash while opening leaves a row the repair can end.
    await this.#store.save(initiating, []);
    let endedEarly: CaptureResult | undefined;
    let live: LiveRecording | undefined;
    let capture: RecordingCapture;
    try {
      capture = await request.source.start(this.#storage.basePath(initiating.id), (result) => {
        if (live) void this.#end(live, result.reason);
        else endedEarly = result;
      });
    } catch (err) {
      await this.#finish(initiating, { reason: 'manual', durationSec: 0 });
      throw err;
    }
    const recording = transition(initiating, 'recording', this.#clock.now());
    live = { recording, capture };
    this.#live.set(recording.id, live);
    await this.#store.save(recording, [{ type: 'recording_started', recording }]);
    if (endedEarly) void this.#end(live, endedEarly.reason);
    return recording;
  }

  /** Stops a running recording and resolves once it is `ended`; a recording not running here is returned as stored. */
  async stopRecording(id: string): Promise<Recording | undefined> {
    const live = this.#live.get(id);
    if (live) return this.#end(live, 'manual');
    return this.#store.get(id);
  }

  /** True while the recording is capturing in this process. */
  isLive(id: string): boolean {
    return this.#live.has(id);
  }

  /** The stored recording (optionally only within one customer). */
  get(id: string, scope: { customerId?: string } = {}): Promise<Recording | undefined> {
    return this.#store.get(id, scope);
  }

  /** The bytes of one of a recording's files (all, or an inclusive byte range). */
  read(filename: string, range?: ByteRange): AsyncIterable<Uint8Array> {
    return this.#storage.read(filename, range);
  }

  /** Stops the recording if it runs, removes its files and hides it; throws `RECORDING_NOT_FOUND`. */
  async delete(id: string, scope: { customerId?: string } = {}): Promise<Recording> {
    const stored = await this.#store.get(id, scope);
    if (!stored) throw new NotFoundError('RECORDING_NOT_FOUND', `recording ${id} not found`);
    const live = this.#live.get(id);
    if (live) await this.#end(live, 'deleted');
    const deleted = await this.#store.delete(id, scope);
    if (!deleted) throw new NotFoundError('RECORDING_NOT_FOUND', `recording ${id} not found`);
    await Promise.all(deleted.filenames.map((f) => this.#storage.remove(f)));
    return deleted;
  }

  /**
   * Crash repair: every recording a previous process left unfinished gets its files' headers
   * fixed (all but at most the last second kept) and is moved to `ended` with `recording_finished`.
   */
  async repair(): Promise<Recording[]> {
    const repaired: Recording[] = [];
    for (const stale of await this.#store.listUnfinished()) {
      if (this.#live.has(stale.id)) continue;
      let durationSec = 0;
      for (const filename of stale.filenames) {
        try {
          durationSec = Math.max(durationSec, (await this.#storage.repair(filename)) ?? 0);
        } catch (err) {
          // A file too damaged to repair is kept as it is; the recording still has to end.
          this.#logger.warn({ err, recording_id: stale.id, filename }, 'recording file not repaired');
        }
      }
      const ended = await this.#finish(stale, { reason: 'manual', durationSec });
      this.#logger.info(
        { recording_id: ended.id, duration_sec: ended.duration_sec },
        'recording repaired after a crash',
      );
      this.emit('ended', ended, 'repaired');
      repaired.push(ended);
    }
    return repaired;
  }

  /** Ends every running recording (shutdown). */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#live.values()].map((live) =>
        this.#end(live, 'manual').catch((err: unknown) => {
          this.#logger.warn({ err, recording_id: live.recording.id }, 'recording not finalised at shutdown');
        }),
      ),
    );
  }

  #end(live: LiveRecording, reason: RecordingEndReason): Promise<Recording> {
    live.ending ??= (async () => {
      try {
        const stopping = transition(live.recording, 'stopping', this.#clock.now());
        live.recording = stopping;
        await this.#store.save(stopping, []);
        const result = await live.capture.stop();
        const ended = await this.#finish(stopping, result);
        // A capture that stopped by itself reports its own reason; an asked stop keeps the caller's.
        this.emit('ended', ended, result.reason === 'manual' ? reason : result.reason);
        return ended;
      } finally {
        this.#live.delete(live.recording.id);
      }
    })();
    return live.ending;
  }

  async #finish(recording: Recording, result: CaptureResult): Promise<Recording> {
    const files: RecordingFile[] = [];
    for (const filename of recording.filenames) {
      const file = await this.#storage.describe(filename);
      if (file) files.push(file);
    }
    const ended = transition(recording, 'ended', this.#clock.now(), { durationSec: result.durationSec, files });
    await this.#store.save(ended, [{ type: 'recording_finished', recording: ended }]);
    return ended;
  }
}
