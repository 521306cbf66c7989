import { ALL_EVENTS, eventsSubject, type Bus } from '../bus/index.ts';
import type { EventHub } from '../events/index.ts';
import type { Logger } from '../shared/index.ts';
import type { OutboxEvent } from '../store/index.ts';

/** What {@link startEventRelay} joins. */
export interface EventRelayOptions {
  bus: Bus;
  hub: EventHub;
  /** This node's id: messages it published itself are not handed back to its hub. */
  nodeId: string;
  logger: Logger;
}

/** One relayed event on `callbin.events.<customer>`. */
interface RelayMessage {
  node: string;
  event: OutboxEvent;
}

function isOutboxEvent(value: unknown): value is OutboxEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e['event_id'] === 'string' &&
    typeof e['customer_id'] === 'string' &&
    typeof e['resource_type'] === 'string' &&
    typeof e['resource_id'] === 'string' &&
    typeof e['type'] === 'string' &&
    typeof e['tm_event'] === 'string' &&
    Number.isSafeInteger(e['seq']) &&
    Number.isSafeInteger(e['position'])
  );
}

/** The relayed event in `data`, or undefined when it is not one (or its subject names another customer). */
function parseRelayMessage(data: string, subject: string): RelayMessage | undefined {
  let msg: Partial<RelayMessage>;
  try {
    msg = JSON.parse(data) as Partial<RelayMessage>;
  } catch {
    return undefined;
  }
  if (typeof msg?.node !== 'string' || !isOutboxEvent(msg.event)) return undefined;
  if (subject !== eventsSubject(msg.event.customer_id)) return undefined;
  return msg as RelayMessage;
}

/**
 * Fans committed events out between the nodes (docs/cluster.md "Events from every node"): every
 * event this node commits is published on `callbin.events.<customer>` as `{node, event}`, and every
 * event of another node is handed to this node's hub through `remoteEventCommitted`, which reaches
 * the WebSocket streams but not the relay again, so nothing loops or arrives twice. NATS keeps one
 * publisher's order, so a resource's events arrive in seq order. Returns the stop function.
 */
export function startEventRelay(opts: EventRelayOptions): () => void {
  const { bus, hub, nodeId, logger } = opts;
  const offLocal = hub.onLocalEvent((event) => {
    try {
      bus.publish(eventsSubject(event.customer_id), JSON.stringify({ node: nodeId, event } satisfies RelayMessage));
    } catch (err) {
      // Webhooks and the store have the event already; only other nodes' live streams miss it.
      logger.warn({ err, eventId: event.event_id }, 'event not relayed to the other nodes');
    }
  });
  const offRemote = bus.subscribe(ALL_EVENTS, (data, subject) => {
    const msg = parseRelayMessage(data, subject);
    if (!msg) {
      logger.warn({ subject }, 'ignoring a malformed relayed event');
      return;
    }
    if (msg.node === nodeId) return;
    hub.remoteEventCommitted(msg.event);
  });
  return () => {
    offLocal();
    offRemote();
  };
}
