import { activeflowEvent } from '../../flows/index.ts';
import type { Activeflow, ActiveflowEvent, ActiveflowStorePort } from '../../flows/index.ts';
import type {
  ActiveflowListOptions,
  ActiveflowRecord,
  DeletedActiveflowRecord,
  NewOutboxEvent,
  Page,
  Scope,
  Store,
  StoreTx,
} from '../../store/index.ts';

/** Where events go inside a transaction: the EventPublisher (outbox + deliveries, listeners after commit). */
export interface ActiveflowEventSink {
  publish(tx: StoreTx, event: NewOutboxEvent): Promise<unknown>;
}

/** What the adapter is built from. */
export interface ActiveflowStoreAdapterOptions {
  store: Store;
  events: ActiveflowEventSink;
}

/** The outbox resource type of activeflow events (topics `customer_id:<id>:activeflow[:<id>]`). */
export const ACTIVEFLOW_RESOURCE_TYPE = 'activeflow';

/** Event type of `DELETE /activeflows/{id}` (docs/events.md). */
export const ACTIVEFLOW_DELETED = 'activeflow_deleted';

/**
 * Persistence of activeflows for the flow engine (its ActiveflowStorePort) and the API (lists, soft
 * delete): every row change and its events are written in one store transaction, so a webhook or
 * WebSocket subscriber only ever hears of a state that is stored.
 */
export class ActiveflowStoreAdapter implements ActiveflowStorePort {
  readonly #store: Store;
  readonly #events: ActiveflowEventSink;

  constructor(options: ActiveflowStoreAdapterOptions) {
    this.#store = options.store;
    this.#events = options.events;
  }

  /** Upserts the row and publishes its events (with the action error when present), in order, in ONE transaction. */
  async save(activeflow: Activeflow, events: readonly ActiveflowEvent[]): Promise<void> {
    await this.#store.transaction(async (tx) => {
      await this.#store.activeflows.upsert(tx, activeflow);
      for (const event of events) await this.#publish(tx, event.type, event.data);
    });
  }

  /** A stored activeflow that is not deleted, optionally only within one customer. */
  get(activeflowId: string, scope: Scope = {}): Promise<Activeflow | undefined> {
    return this.#store.activeflows.get(activeflowId, scope);
  }

  /** Every stored activeflow whose status is `running`; with `nodeId`, of that node only. */
  listRunning(filter: { nodeId?: string } = {}): Promise<Activeflow[]> {
    return this.#store.activeflows.listRunning(filter);
  }

  /** One customer's activeflows, newest first, by keyset pagination. */
  list(options: ActiveflowListOptions): Promise<Page<ActiveflowRecord>> {
    return this.#store.activeflows.list(options);
  }

  /** Hides an activeflow and publishes `activeflow_deleted` in the same transaction; undefined when not found. */
  delete(activeflowId: string, scope: Scope = {}): Promise<DeletedActiveflowRecord | undefined> {
    return this.#store.transaction(async (tx) => {
      const deleted = await this.#store.activeflows.markDeleted(tx, activeflowId, scope);
      // Like every activeflow event, it carries only the latest executed actions (see activeflowEvent).
      if (deleted) await this.#publish(tx, ACTIVEFLOW_DELETED, activeflowEvent(ACTIVEFLOW_DELETED, deleted).data);
      return deleted;
    });
  }

  async #publish(tx: StoreTx, type: string, data: Activeflow): Promise<void> {
    await this.#events.publish(tx, {
      customer_id: data.customer_id,
      resource_type: ACTIVEFLOW_RESOURCE_TYPE,
      resource_id: data.id,
      type,
      data,
    });
  }
}
