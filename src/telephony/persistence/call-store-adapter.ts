import type {
  CallListOptions,
  CallRecord,
  DeletedCallRecord,
  NewOutboxEvent,
  Page,
  Scope,
  Store,
  StoreTx,
} from '../../store/index.ts';

/*
 * Written against the store's types only: the calls domain's CallStorePort and the events module's
 * EventPublisher are matched structurally, so this outer-ring adapter imports neither module.
 */

/** One call event as the calls domain hands it over (`call_created`, `call_updated`, `call_ringing`, …). */
export interface CallRecordEvent {
  type: string;
  call: CallRecord;
}

/** A new call state and the events describing the change (the domain's CallChange). */
export interface CallRecordChange {
  call: CallRecord;
  events: readonly CallRecordEvent[];
}

/** Where events go inside a transaction: the EventPublisher (outbox + deliveries, listeners after commit). */
export interface CallEventSink {
  publish(tx: StoreTx, event: NewOutboxEvent): Promise<unknown>;
}

/** What the adapter is built from. */
export interface CallStoreAdapterOptions {
  store: Store;
  events: CallEventSink;
}

/** The outbox resource type of call events (topics `customer_id:<id>:call[:<call id>]`). */
export const CALL_RESOURCE_TYPE = 'call';

/** Event type of `DELETE /calls/{id}` (docs/events.md). */
export const CALL_DELETED = 'call_deleted';

/**
 * Persistence of calls for the calls domain (its CallStorePort) and the API (lists, soft delete):
 * every row change and its events are written in one store transaction, so a webhook or WebSocket
 * subscriber only ever hears of a state that is stored.
 */
export class CallStoreAdapter {
  readonly #store: Store;
  readonly #events: CallEventSink;

  constructor(options: CallStoreAdapterOptions) {
    this.#store = options.store;
    this.#events = options.events;
  }

  /** Upserts every call row and publishes each change's events, in order, in ONE transaction. */
  async save(changes: readonly CallRecordChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.#store.transaction(async (tx) => {
      for (const change of changes) {
        await this.#store.calls.upsert(tx, change.call);
        for (const event of change.events) await this.#publish(tx, event.type, event.call);
      }
    });
  }

  /** A stored call that is not deleted (any status), optionally only within one customer. */
  get(callId: string, scope: Scope = {}): Promise<CallRecord | undefined> {
    return this.#store.calls.get(callId, scope);
  }

  /** Every stored call whose status is not `hangup`; with `nodeId`, of that node only. */
  listLive(filter: { nodeId?: string } = {}): Promise<CallRecord[]> {
    return this.#store.calls.listLive(filter);
  }

  /** One customer's calls, newest first, by keyset pagination. */
  list(options: CallListOptions): Promise<Page<CallRecord>> {
    return this.#store.calls.list(options);
  }

  /** Hides a call from lists and publishes `call_deleted` in the same transaction; undefined when not found. */
  delete(callId: string, scope: Scope = {}): Promise<DeletedCallRecord | undefined> {
    return this.#store.transaction(async (tx) => {
      const deleted = await this.#store.calls.markDeleted(tx, callId, scope);
      if (deleted) await this.#publish(tx, CALL_DELETED, deleted);
      return deleted;
    });
  }

  async #publish(tx: StoreTx, type: string, call: CallRecord): Promise<void> {
    await this.#events.publish(tx, {
      customer_id: call.customer_id,
      resource_type: CALL_RESOURCE_TYPE,
      resource_id: call.id,
      type,
      data: call,
    });
  }
}
