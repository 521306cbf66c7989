import type { Recording, RecordingFile, RecordingLayout } from './recording.ts';

/*
 * What the recordings domain needs from outside; the outer ring implements these and main.ts (via
 * call-stack.ts) passes them to RecordingService.
 */

/** Why a capture stopped: by itself (duration, silence, key) or because it was asked to. */
export type CaptureStopReason = 'duration' | 'silence' | 'key' | 'manual';

/** What a finished capture reports. */
export interface CaptureResult {
  reason: CaptureStopReason;
  durationSec: number;
}

/** A running capture writing audio into a recording's files. */
export interface RecordingCapture {
  /** Finalises the files (headers patched); idempotent: later calls resolve with the first result. */
  stop(): Promise<CaptureResult>;
}

/**
 * Where a recording's audio comes from. The source writes the files itself at `basePath` (no
 * extension): `<basePath>_in.wav` + `<basePath>_out.wav` for `split`, `<basePath>.wav` for `mix`.
 */
export interface RecordingSource {
  readonly layout: RecordingLayout;
  /**
   * Opens the files and starts capturing. `onEnded` is called once if the capture stops by
   * itself (a stop condition, or its media going away); it is not called for `stop()`.
   */
  start(basePath: string, onEnded: (result: CaptureResult) => void): Promise<RecordingCapture>;
}

/** A byte range of a file, both ends inclusive (RFC 9110 §14.1.2). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where finished recording files are read and removed, by name (`recordingFilenames`): the local
 * disk on one node; in a cluster the node that wrote them, reached over the bus, or a shared object
 * store (docs/cluster.md "Files").
 */
export interface RecordingFileStore {
  /** The file's byte size; undefined when it does not exist. */
  stat(filename: string): Promise<number | undefined>;
  /** The file's bytes (all, or `range`) as a stream. */
  read(filename: string, range?: ByteRange): AsyncIterable<Uint8Array>;
  /** Removes the file; a missing file is fine. */
  remove(filename: string): Promise<void>;
}

/** Where recording files are written: a directory of this node's disk, which is also a file store. */
export interface RecordingStorage extends RecordingFileStore {
  /** Makes sure the storage can take new files (creates the directory). */
  prepare(): Promise<void>;
  /** The local path without extension where a source writes the files of recording `id`. */
  basePath(id: string): string;
  /** Byte size and SHA-256 of a finished file; undefined when it does not exist. */
  describe(filename: string): Promise<RecordingFile | undefined>;
  /** Fixes a file a crash left open (all but the last second kept); returns its seconds, undefined when missing. */
  repair(filename: string): Promise<number | undefined>;
}

/** One recording event as stored in the outbox (`recording_started`, `recording_finished`). */
export interface RecordingEvent {
  type: 'recording_started' | 'recording_finished';
  recording: Recording;
}

/** Persistence of recordings and their events. */
export interface RecordingStorePort {
  /** Writes the row and, in order, its events in ONE transaction; resolves once committed. */
  save(recording: Recording, events: readonly RecordingEvent[]): Promise<void>;
  /** The stored, not deleted recording (optionally only within one customer). */
  get(id: string, scope?: { customerId?: string }): Promise<Recording | undefined>;
  /**
   * Every stored recording whose status is not `ended` (crash repair); with `nodeId`, only those
   * that node made (docs/cluster.md "Node health").
   */
  listUnfinished(filter?: { nodeId?: string }): Promise<Recording[]>;
  /** Hides the recording from get and lists; the hidden recording, or undefined when not found. */
  delete(id: string, scope?: { customerId?: string }): Promise<Recording | undefined>;
}
