import type { Recording, RecordingEvent, RecordingStorePort } from '../../recordings/index.ts';
import type { NewOutboxEvent, Page, RecordingListOptions, Scope, Store, StoreTx } from '../../store/index.ts';

/** Where events go inside a transaction: the EventPublisher (outbox + deliveries, listeners after commit). */
export interface RecordingEventSink {
  publish(tx: StoreTx, event: NewOutboxEvent): Promise<unknown>;
}

/** What the adapter is built from. */
export interface RecordingStoreAdapterOptions {
  store: Store;
  events: RecordingEventSink;
}

/** The outbox resource type of recording events (topics `customer_id:<id>:recording[:<recording id>]`). */
export const RECORDING_RESOURCE_TYPE = 'recording';

/**
 * Persistence of recordings for the recordings domain (its RecordingStorePort) and the API (lists):
 * every row change and its events are written in one store transaction, so a webhook or WebSocket
 * subscriber only ever hears of a state that is stored.
 */
export class RecordingStoreAdapter implements RecordingStorePort {
  readonly #store: Store;
  readonly #events: RecordingEventSink;

  constructor(options: RecordingStoreAdapterOptions) {
    this.#store = options.store;
    this.#events = options.events;
  }

  /** Upserts the row and publishes its events, in order, in ONE transaction. */
  async save(recording: Recording, events: readonly RecordingEvent[]): Promise<void> {
    await this.#store.transaction(async (tx) => {
      await this.#store.recordings.upsert(tx, recording);
      for (const event of events) {
        await this.#events.publish(tx, {
          customer_id: event.recording.customer_id,
          resource_type: RECORDING_RESOURCE_TYPE,
          resource_id: event.recording.id,
          type: event.type,
          data: event.recording,
        });
      }
    });
  }

  /** A stored recording that is not deleted, optionally only within one customer. */
  get(id: string, scope: Scope = {}): Promise<Recording | undefined> {
    return this.#store.recordings.get(id, scope);
  }

  /** One customer's recordings, newest first, by keyset pagination. */
  list(options: RecordingListOptions): Promise<Page<Recording>> {
    return this.#store.recordings.list(options);
  }

  /** Every stored recording whose status is not `ended`; with `nodeId`, of that node only. */
  listUnfinished(filter: { nodeId?: string } = {}): Promise<Recording[]> {
    return this.#store.recordings.listUnfinished(filter);
  }

  /** Hides the recording from get and lists; undefined when not found. */
  delete(id: string, scope: Scope = {}): Promise<Recording | undefined> {
    return this.#store.transaction((tx) => this.#store.recordings.markDeleted(tx, id, scope));
  }
}
