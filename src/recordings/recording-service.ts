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
  RecordingFileStore,
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
  /** The activeflow whose `recording_start` asked for it (nil UUID when none). */
  activeflow_id?: string;
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
  /**
   * Where finished files are read and removed (default: `storage`); in a cluster, files of any node
   * (docs/cluster.md "Files").
   */
  files?: RecordingFileStore;
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
  readonly #files: RecordingFileStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #live = new Map<string, LiveRecording>();

  constructor(options: RecordingServiceOptions) {
    super();
    this.#store = options.store;
    this.#storage = options.storage;
    this.#files = options.files ?? options.storage;
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
    return this.#files.read(filename, range);
  }

  /** Stops the recording if it runs, removes its files and hides it; throws `RECORDING_NOT_FOUND`. */
  async delete(id: string, scope: { customerId?: string } = {}): Promise<Recording> {
    const stored = await this.#store.get(id, scope);
    if (!stored) throw new NotFoundError('RECORDING_NOT_FOUND', `recording ${id} not found`);
    const live = this.#live.get(id);
    if (live) await this.#end(live, 'deleted');
    const deleted = await this.#store.delete(id, scope);
    if (!deleted) throw new NotFoundError('RECORDING_NOT_FOUND', `recording ${id} not found`);
    // The row is hidden already: a file that cannot be removed now (its node is down) is logged, not an error.
    await Promise.all(
      deleted.filenames.map((filename) =>
        this.#files.remove(filename).catch((err: unknown) => {
          this.#logger.warn({ err, recording_id: id, filename }, 'recording file of a deleted recording not removed');
        }),
      ),
    );
    return deleted;
  }

  /**
   * Crash repair: every recording a previous process left unfinished gets its files' headers
   * fixed (all but at most the last second kept) and is moved to `ended` with `recording_finished`.
   * With `nodeId`, only the recordings of that node (its files are on this disk: a restart of the
   * same node, docs/cluster.md "Node health").
   */
  async repair(options: { nodeId?: string | undefined } = {}): Promise<Recording[]> {
    const repaired: Recording[] = [];
    const filter = options.nodeId === undefined ? {} : { nodeId: options.nodeId };
    for (const stale of await this.#store.listUnfinished(filter)) {
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

  /**
   * A dead node's unfinished recordings (docs/cluster.md "Node health"): their files are on that
   * node's disk, so nothing is repaired or written here. Each ends with what is known — the files
   * this storage can describe, the seconds from its start to `lastAliveMs` (the node's last
   * heartbeat), ended then — with `recording_finished`, and its `on_end_flow_id` runs.
   */
  async endOrphaned(options: { nodeId: string; lastAliveMs: number }): Promise<Recording[]> {
    const ended: Recording[] = [];
    for (const stale of await this.#store.listUnfinished({ nodeId: options.nodeId })) {
      if (this.#live.has(stale.id)) continue;
      const startMs = Date.parse(stale.tm_start ?? stale.tm_create);
      const endMs = Math.max(options.lastAliveMs, Date.parse(stale.tm_update) || 0);
      const durationSec = Number.isNaN(startMs) ? 0 : Math.max(0, (endMs - startMs) / 1000);
      const done = await this.#finish(stale, { reason: 'manual', durationSec }, { endMs, elsewhere: true });
      this.#logger.info(
        { recording_id: done.id, node_id: options.nodeId, duration_sec: done.duration_sec },
        'recording of a dead node ended',
      );
      this.emit('ended', done, 'repaired');
      ended.push(done);
    }
    return ended;
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

  /** Stores `recording` ended (at `o.endMs`, default now); with `o.elsewhere` a file that cannot be read is left out. */
  async #finish(
    recording: Recording,
    result: CaptureResult,
    o: { endMs?: number; elsewhere?: boolean } = {},
  ): Promise<Recording> {
    const files: RecordingFile[] = [];
    for (const filename of recording.filenames) {
      const file = await this.#storage.describe(filename).catch((err: unknown) => {
        if (!o.elsewhere) throw err;
        this.#logger.debug({ err, filename }, 'file of a dead node not described');
        return undefined;
      });
      if (file) files.push(file);
    }
    const ended = transition(recording, 'ended', o.endMs ?? this.#clock.now(), {
      durationSec: result.durationSec,
      files,
    });
    await this.#store.save(ended, [{ type: 'recording_finished', recording: ended }]);
    return ended;
  }
}
