/**
 * The per-call timeline (docs/timeline.md): what happened to a call, its activeflow or its
 * conference, in time order — SIP messages, status changes, flow steps, media events, webhooks,
 * flow HTTP requests, quality samples and errors. Producers hand entries to a {@link TimelineRecorder};
 * recording is cheap and never throws, and a bounded buffer is flushed to the store beside the call's
 * own writes.
 */

/** What an entry is about. */
export const TIMELINE_KINDS = ['sip', 'status', 'flow', 'media', 'webhook', 'http', 'quality', 'error'] as const;

/** One kind of timeline entry. */
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** The resources an entry belongs to; the nil UUID where it belongs to none of that type. */
export interface TimelineSubject {
  customer_id: string;
  call_id: string;
  activeflow_id: string;
  conference_id: string;
}

/** One entry as stored and served by `GET /v1.0/calls/{id}/timeline`. */
export interface TimelineEntry extends TimelineSubject {
  /** Time-ordered (UUIDv7). */
  id: string;
  /** When it happened, RFC 3339 with milliseconds (the injected clock). */
  tm: string;
  /** Order among entries recorded by one process: ties within a millisecond keep the order they happened in. */
  seq: number;
  kind: TimelineKind;
  /** One line for people: `INVITE →`, `503 Service Unavailable ←`, `ringing → progressing`, `talk started`. */
  summary: string;
  /** The kind's fields (docs/timeline.md "Entries"). */
  data: Record<string, unknown>;
}

/** What a producer records; id, tm and seq are given by the recorder. */
export interface NewTimelineEntry extends Partial<TimelineSubject> {
  customer_id: string;
  kind: TimelineKind;
  summary: string;
  data?: Record<string, unknown>;
  /** When it happened, in ms since the epoch; the recorder's clock when absent. */
  atMs?: number;
}

/** Where producers put entries. `record` is synchronous, bounded and never throws. */
export interface TimelineRecorder {
  record(entry: NewTimelineEntry): void;
  /** False when the timeline is switched off: producers may skip building entries. */
  readonly enabled: boolean;
}

/** A recorder that keeps nothing (timeline off, and unit tests that do not look at it). */
export const noTimeline: TimelineRecorder = {
  enabled: false,
  record: () => undefined,
};
