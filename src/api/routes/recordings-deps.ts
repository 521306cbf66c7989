import type { ByteRange, Recording } from '../../recordings/index.ts';
import type { Page, RecordingListOptions, Scope } from '../../store/index.ts';

/** The running side of recordings: the RecordingService. */
export interface RecordingRuntime {
  /** A stored, not deleted recording within the scope. */
  get(id: string, scope?: Scope): Promise<Recording | undefined>;
  /** Stops it if it runs, removes its files and hides it; throws 404 `RECORDING_NOT_FOUND`. */
  delete(id: string, scope?: Scope): Promise<Recording>;
  /** The bytes of one of its files (all, or an inclusive range). */
  read(filename: string, range?: ByteRange): AsyncIterable<Uint8Array>;
}

/** The stored side of recordings: lists. */
export interface RecordingRecords {
  /** One customer's recordings, newest first. */
  list(options: RecordingListOptions): Promise<Page<Recording>>;
}

/** What `/recordings` and `/recordingfiles` need, passed in by main.ts as `ApiDeps.recordings`. */
export interface RecordingsApiDeps {
  service: RecordingRuntime;
  records: RecordingRecords;
}
