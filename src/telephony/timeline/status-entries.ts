/**
 * `status` entries (docs/timeline.md "Entries"): each status change of a call, with its hangup cause,
 * from CallService's committed events; each status change of a conference and of a conferencecall
 * from the committed events of this node.
 */
import type { CallEvent } from '../../calls/index.ts';
import { NIL_UUID } from '../../shared/index.ts';
import type { OutboxEvent } from '../../store/index.ts';
import type { TimelineRecorder } from '../../timeline/index.ts';

/** The part of CallService this listener needs. */
export interface CallEventSource {
  onEvent(listener: (event: CallEvent) => void): () => void;
}

/** The part of the event hub the conference listener needs (events this node committed). */
export interface CommittedEventSource {
  onLocalEvent(listener: (event: OutboxEvent) => void): () => void;
}

/** A timeline recorder that can be told that a call ended (its entries are flushed then). */
export interface EndingRecorder extends TimelineRecorder {
  end?(id: string): void;
}

/** Statuses last seen of live resources, so an entry can say `from`; bounded, the oldest go. */
class LastStatus {
  readonly #map = new Map<string, string>();
  readonly #max: number;

  constructor(max = 100_000) {
    this.#max = max;
  }

  swap(id: string, status: string): string {
    const before = this.#map.get(id) ?? '';
    this.#map.delete(id);
    this.#map.set(id, status);
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
    return before;
  }

  forget(id: string): void {
    this.#map.delete(id);
  }
}

function atMsOf(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Records the status changes of every call of `calls`; returns the unsubscribe function. */
export function recordCallStatus(calls: CallEventSource, timeline: EndingRecorder): () => void {
  if (!timeline.enabled) return () => undefined;
  const last = new LastStatus();
  return calls.onEvent((event) => {
    if (event.type === 'call_updated') return;
    const call = event.call;
    const from = last.swap(call.id, call.status);
    if (from === call.status) return;
    const hangup = call.status === 'hangup';
    const atMs = atMsOf(hangup ? (call.tm_hangup ?? call.tm_update) : call.tm_update);
    timeline.record({
      customer_id: call.customer_id,
      call_id: call.id,
      activeflow_id: call.activeflow_id,
      conference_id: call.conference_id,
      kind: 'status',
      summary: hangup
        ? `${from || 'created'} → hangup (${call.hangup_by || 'unknown'}: ${call.hangup_reason || 'unknown'})`
        : `${from || 'created'} → ${call.status}`,
      data: hangup
        ? { from, to: call.status, hangup_by: call.hangup_by, hangup_reason: call.hangup_reason }
        : { from, to: call.status },
      ...(atMs !== undefined ? { atMs } : {}),
    });
    if (hangup) {
      last.forget(call.id);
      timeline.end?.(call.id);
    }
  });
}

interface StatusData {
  id?: unknown;
  status?: unknown;
  conference_id?: unknown;
  reference_type?: unknown;
  reference_id?: unknown;
  tm_update?: unknown;
}

const FINAL = new Set(['terminated', 'leaved', 'left']);

/**
 * Records the status changes of conferences and their conferencecalls committed on this node;
 * returns the unsubscribe function. A conferencecall's entry belongs to its conference and its call.
 */
export function recordConferenceStatus(events: CommittedEventSource, timeline: EndingRecorder): () => void {
  if (!timeline.enabled) return () => undefined;
  const last = new LastStatus();
  return events.onLocalEvent((event) => {
    const isConference = event.resource_type === 'conference';
    if (!isConference && event.resource_type !== 'conferencecall') return;
    const data = event.data as StatusData | undefined;
    if (typeof data?.status !== 'string') return;
    const from = last.swap(event.resource_id, data.status);
    if (from === data.status) return;
    const callId = !isConference && data.reference_type === 'call' ? data.reference_id : undefined;
    const conferenceId = isConference ? event.resource_id : data.conference_id;
    const what = isConference ? 'conference' : 'conferencecall';
    const atMs = atMsOf(event.tm_event);
    timeline.record({
      customer_id: event.customer_id,
      call_id: typeof callId === 'string' ? callId : NIL_UUID,
      conference_id: typeof conferenceId === 'string' ? conferenceId : NIL_UUID,
      kind: 'status',
      summary: `${what} ${from || 'created'} → ${data.status}`,
      data: { resource_type: what, resource_id: event.resource_id, from, to: data.status },
      ...(atMs !== undefined ? { atMs } : {}),
    });
    if (FINAL.has(data.status)) {
      last.forget(event.resource_id);
      if (isConference) timeline.end?.(event.resource_id);
    }
  });
}
