import type { NewOutboxEvent, OutboxEvent, Store, StoreTx } from '../store/index.ts';
import { DeliveryTargets } from './delivery-targets.ts';
import type { EventHub } from './event-hub.ts';

/** Options of the publisher. */
export interface EventPublisherOptions {
  hub: EventHub;
  targets?: DeliveryTargets;
}

/**
 * What domain adapters call to emit an event: outbox append and delivery rows inside the caller's
 * transaction, then, after commit, the in-process notification of the worker and stream sessions.
 */
export class EventPublisher {
  readonly #hub: EventHub;
  /** The target decision; later modules add resolvers here. */
  readonly targets: DeliveryTargets;

  constructor(opts: EventPublisherOptions) {
    this.#hub = opts.hub;
    this.targets = opts.targets ?? new DeliveryTargets();
  }

  /** Append `input` within `tx`; listeners hear of it only once `tx` has committed. */
  async publish(tx: StoreTx, input: NewOutboxEvent): Promise<OutboxEvent> {
    const event = await tx.outbox.append(tx, input);
    // Read through the transaction: on SQLite a read outside it would wait for this very transaction.
    const targets = this.targets.targetsFor(event, await tx.customerWebhook(input.customer_id), input.data);
    const queued = await tx.deliveries.enqueue(
      tx,
      targets.map((t) => ({
        customer_id: event.customer_id,
        event_id: event.event_id,
        resource_type: event.resource_type,
        resource_id: event.resource_id,
        seq: event.seq,
        event_type: event.type,
        uri: t.uri,
        method: t.method,
      })),
    );
    tx.afterCommit(() => {
      this.#hub.eventCommitted(event);
      if (queued.length > 0) this.#hub.deliveriesQueued(queued);
    });
    return event;
  }

  /** Publish in a transaction of its own (for callers without a row change to pair it with). */
  async publishNow(store: Store, input: NewOutboxEvent): Promise<OutboxEvent> {
    return store.transaction((tx) => this.publish(tx, input));
  }
}
