import type { ClaimedEvent, OutboxEvent } from '../store/index.ts';

/** What webhooks and the WebSocket stream carry (docs/events.md, Envelope). */
export interface EventEnvelope {
  type: string;
  event_id: string;
  seq: number;
  tm_event: string;
  data: unknown;
}

/** The envelope of a stored event: `{type, event_id, seq, tm_event, data}` and nothing else. */
export function toEnvelope(event: OutboxEvent): EventEnvelope {
  return { type: event.type, event_id: event.event_id, seq: event.seq, tm_event: event.tm_event, data: event.data };
}

/** The exact bytes sent (and signed) for an event. */
export function envelopeBody(event: OutboxEvent): string {
  return JSON.stringify(toEnvelope(event));
}

/**
 * The same bytes as {@link envelopeBody}, built from the stored event without parsing its data: the
 * stored text is `JSON.stringify` output, which stringifies again to itself.
 */
export function envelopeText(event: ClaimedEvent): string {
  return `{"type":${JSON.stringify(event.type)},"event_id":${JSON.stringify(event.event_id)},"seq":${event.seq},"tm_event":${JSON.stringify(event.tm_event)},"data":${event.data}}`;
}
