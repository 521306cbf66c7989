import { InvalidStateError, NIL_UUID } from '../shared/index.ts';

/** Every status of a recording, in lifecycle order (docs/media.md "Recording"). */
export const RECORDING_STATUSES = ['initiating', 'recording', 'stopping', 'ended'] as const;

/** Where a recording is in its lifecycle. */
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];

/**
 * The status machine as data: the statuses each status may move to. `initiating -> ended` is a
 * capture that failed to open; `recording -> ended` is a crash repaired at start-up.
 */
export const RECORDING_STATUS_TRANSITIONS = {
  initiating: ['recording', 'ended'],
  recording: ['stopping', 'ended'],
  stopping: ['ended'],
  ended: [],
} as const satisfies Record<RecordingStatus, readonly RecordingStatus[]>;

/** Statuses a recording may be left in by a crash (repaired at start-up). */
export const UNFINISHED_RECORDING_STATUSES: readonly RecordingStatus[] = ['initiating', 'recording', 'stopping'];

/** What a recording captures. */
export type RecordingReferenceType = 'call' | 'conference';

/** One finished file: its name in storage, byte size and SHA-256 (hex). */
export interface RecordingFile {
  filename: string;
  bytes: number;
  sha256: string;
}

/** The Recording resource exactly as the API returns it and events carry it. */
export interface Recording {
  id: string;
  customer_id: string;
  reference_type: RecordingReferenceType;
  reference_id: string;
  status: RecordingStatus;
  format: 'wav';
  /** Names of the files in storage: `<id>_in.wav` + `<id>_out.wav` for calls, `<id>.wav` for a mix. */
  filenames: string[];
  /** Size and checksum of each file; `[]` until the recording has ended. */
  files: RecordingFile[];
  /** The flow to run when the recording ends (nil UUID when none). */
  on_end_flow_id: string;
  /** The activeflow whose `recording_start` made it (docs/media.md "Recording"); the nil UUID otherwise, absent on older rows. */
  activeflow_id?: string;
  /** Seconds of audio; absent until ended. */
  duration_sec?: number;
  tm_create: string;
  tm_update: string;
  tm_start?: string;
  tm_end?: string;
}

/** How the audio of a recording is laid out in files. */
export type RecordingLayout = 'split' | 'mix';

/** The file names a recording of `layout` writes. */
export function recordingFilenames(id: string, layout: RecordingLayout): string[] {
  return layout === 'split' ? [`${id}_in.wav`, `${id}_out.wav`] : [`${id}.wav`];
}

// `<id>.wav`, `<id>_in.wav` or `<id>_out.wav` of a lower-case UUID (`newId`), as `recordingFilenames` writes them.
const RECORDING_FILENAME = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:_in|_out)?\.wav$/;

/** The recording id of a name `recordingFilenames` writes; undefined for any other string. */
export function recordingIdOfFilename(filename: string): string | undefined {
  return RECORDING_FILENAME.exec(filename)?.[1];
}

/** A new recording in `initiating`. */
export function newRecording(fields: {
  id: string;
  customer_id: string;
  reference_type: RecordingReferenceType;
  reference_id: string;
  layout: RecordingLayout;
  on_end_flow_id?: string;
  activeflow_id?: string;
  nowMs: number;
}): Recording {
  const now = new Date(fields.nowMs).toISOString();
  return {
    id: fields.id,
    customer_id: fields.customer_id,
    reference_type: fields.reference_type,
    reference_id: fields.reference_id,
    status: 'initiating',
    format: 'wav',
    filenames: recordingFilenames(fields.id, fields.layout),
    files: [],
    on_end_flow_id: fields.on_end_flow_id ?? NIL_UUID,
    activeflow_id: fields.activeflow_id ?? NIL_UUID,
    tm_create: now,
    tm_update: now,
  };
}

/** True when the table allows `from -> to`. */
export function canTransition(from: RecordingStatus, to: RecordingStatus): boolean {
  return (RECORDING_STATUS_TRANSITIONS[from] as readonly RecordingStatus[]).includes(to);
}

/** What entering `ended` records. */
export interface RecordingOutcome {
  durationSec: number;
  files: RecordingFile[];
}

/**
 * The only place a recording's status changes: validates the edge, stamps `tm_update` (and
 * `tm_start` on `recording`, `tm_end` with the outcome on `ended`) and returns the new recording.
 * A refused edge throws `RECORDING_STATE_INVALID` naming itself.
 */
export function transition(rec: Recording, to: RecordingStatus, nowMs: number, outcome?: RecordingOutcome): Recording {
  if (!canTransition(rec.status, to)) {
    throw new InvalidStateError(
      `recording ${rec.id.slice(0, 8)}…: ${rec.status} -> ${to} refused`,
      'RECORDING_STATE_INVALID',
    );
  }
  const now = new Date(nowMs).toISOString();
  const next: Recording = { ...rec, status: to, tm_update: now };
  if (to === 'recording') next.tm_start = now;
  if (to === 'ended') {
    next.tm_end = now;
    next.duration_sec = Math.round((outcome?.durationSec ?? 0) * 1000) / 1000;
    next.files = outcome?.files ?? [];
  }
  return next;
}
