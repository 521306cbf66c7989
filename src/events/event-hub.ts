import type { Logger } from '../shared/index.ts';
import { silentLogger } from '../shared/index.ts';
import type { DeliveryKey, OutboxEvent } from '../store/index.ts';

type EventListener = (event: OutboxEvent) => void;
/** A delivery queued in a committed transaction: its queue and its seq there. */
export type QueuedDelivery = DeliveryKey & { seq: number };
type QueuedListener = (queued: readonly QueuedDelivery[]) => void;

/**
 * The in-process fan-out of committed events: the delivery worker and WebSocket sessions listen here.
 * Only told after commit, so every event it carries is already in the store.
 */
export class EventHub {
  readonly #eventListeners = new Set<EventListener>();
  readonly #localListeners = new Set<EventListener>();
  readonly #queuedListeners = new Set<QueuedListener>();
  readonly #logger: Logger;

  constructor(logger: Logger = silentLogger) {
    this.#logger = logger;
  }

  /** Listen to committed events; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /**
   * Listen to the events this node committed only, not those another node committed (the relay to
   * the other nodes listens here, so a relayed event is never sent on again); returns the
   * unsubscribe function.
   */
  onLocalEvent(listener: EventListener): () => void {
    this.#localListeners.add(listener);
    return () => this.#localListeners.delete(listener);
  }

  /** Listen to "deliveries were queued" (wakes the delivery worker); returns the unsubscribe function. */
  onDeliveriesQueued(listener: QueuedListener): () => void {
    this.#queuedListeners.add(listener);
    return () => this.#queuedListeners.delete(listener);
  }

  /** Tell every listener about an event this node committed. */
  eventCommitted(event: OutboxEvent): void {
    for (const l of [...this.#localListeners]) this.#safely(() => l(event));
    this.remoteEventCommitted(event);
  }

  /**
   * Tell the {@link onEvent} listeners about an event another node committed (docs/cluster.md
   * "Events from every node"); {@link onLocalEvent} listeners do not hear it.
   */
  remoteEventCommitted(event: OutboxEvent): void {
    if (this.#eventListeners.size === 0) return;
    for (const l of [...this.#eventListeners]) this.#safely(() => l(event));
  }

  /**
   * Tell the delivery worker that these deliveries were committed (each names its queue: a
   * resource's events to one target); none means "look for whatever is due".
   */
  deliveriesQueued(queued: readonly QueuedDelivery[] = []): void {
    for (const l of [...this.#queuedListeners]) this.#safely(() => l(queued));
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // One broken subscriber (e.g. a socket torn down mid-send) must not starve the others.
      this.#logger.warn({ err }, 'event listener failed');
    }
  }
}
