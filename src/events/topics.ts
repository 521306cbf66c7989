import type { OutboxEvent } from '../store/index.ts';

/** A parsed subscription topic: `customer_id:<id>[:<resource>[:<resource id>]]`. */
export interface Topic {
  customerId: string;
  /** The topic text, matched as a prefix of event topics at `:` boundaries. */
  text: string;
}

const TOPIC_RE = /^customer_id:([0-9A-Za-z-]{1,64})(?::([a-z_]{1,32})(?::([0-9A-Za-z._-]{1,128}))?)?$/;

/** Parse a topic, or undefined when it is not of the form docs/events.md gives. */
export function parseTopic(text: unknown): Topic | undefined {
  if (typeof text !== 'string') return undefined;
  const m = TOPIC_RE.exec(text);
  return m?.[1] ? { customerId: m[1], text } : undefined;
}

/** The full topic of an event: `customer_id:<id>:<resource>:<resource id>`. */
export function eventTopic(event: Pick<OutboxEvent, 'customer_id' | 'resource_type' | 'resource_id'>): string {
  return `customer_id:${event.customer_id}:${event.resource_type}:${event.resource_id}`;
}

/** True when a subscribed topic covers the event topic (equal, or a prefix ending at a `:`). */
export function topicMatches(subscribed: string, full: string): boolean {
  return full === subscribed || full.startsWith(`${subscribed}:`);
}
