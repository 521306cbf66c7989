import type {
  Conference,
  ConferenceChange,
  ConferenceEvent,
  Conferencecall,
  ConferenceScope,
  ConferenceStorePort,
} from '../../conferences/index.ts';
import type { ConferenceListOptions, Deleted, NewOutboxEvent, Page, Store, StoreTx } from '../../store/index.ts';

/** Where events go inside a transaction: the EventPublisher (outbox + deliveries, listeners after commit). */
export interface ConferenceEventSink {
  publish(tx: StoreTx, event: NewOutboxEvent): Promise<unknown>;
}

/** What the adapter is built from. */
export interface ConferenceStoreAdapterOptions {
  store: Store;
  events: ConferenceEventSink;
}

/** The outbox resource type of conference events (topics `customer_id:<id>:conference[:<id>]`). */
export const CONFERENCE_RESOURCE_TYPE = 'conference';

/** The outbox resource type of conferencecall events (topics `customer_id:<id>:conferencecall[:<id>]`). */
export const CONFERENCECALL_RESOURCE_TYPE = 'conferencecall';

function outboxEvent(event: ConferenceEvent): NewOutboxEvent {
  if ('conference' in event) {
    const c = event.conference;
    return {
      customer_id: c.customer_id,
      resource_type: CONFERENCE_RESOURCE_TYPE,
      resource_id: c.id,
      type: event.type,
      data: c,
    };
  }
  const cc = event.conferencecall;
  return {
    customer_id: cc.customer_id,
    resource_type: CONFERENCECALL_RESOURCE_TYPE,
    resource_id: cc.id,
    type: event.type,
    data: cc,
  };
}

/**
 * Persistence of conferences and conferencecalls for the conferences domain (its
 * ConferenceStorePort) and the API (lists): every row change and its events are written in one
 * store transaction, so a subscriber only ever hears of a stored state.
 */
export class ConferenceStoreAdapter implements ConferenceStorePort {
  readonly #store: Store;
  readonly #events: ConferenceEventSink;

  constructor(options: ConferenceStoreAdapterOptions) {
    this.#store = options.store;
    this.#events = options.events;
  }

  async save(change: ConferenceChange): Promise<void> {
    await this.#store.transaction(async (tx) => {
      if (change.conference) await this.#store.conferences.upsert(tx, change.conference);
      if (change.conferencecall) await this.#store.conferencecalls.upsert(tx, change.conferencecall);
      for (const event of change.events) await this.#events.publish(tx, outboxEvent(event));
    });
  }

  getConference(id: string, scope: ConferenceScope = {}): Promise<Conference | undefined> {
    return this.#store.conferences.get(id, scope);
  }

  getConferencecall(id: string, scope: ConferenceScope = {}): Promise<Conferencecall | undefined> {
    return this.#store.conferencecalls.get(id, scope);
  }

  deleteConference(id: string, scope: ConferenceScope = {}): Promise<Deleted<Conference> | undefined> {
    return this.#store.transaction(async (tx) => {
      const deleted = await this.#store.conferences.markDeleted(tx, id, scope);
      if (deleted) await this.#events.publish(tx, outboxEvent({ type: 'conference_deleted', conference: deleted }));
      return deleted;
    });
  }

  /** Every stored conference not `terminated`; with `nodeId`, of that node only. */
  listLive(filter: { nodeId?: string } = {}): Promise<Conference[]> {
    return this.#store.conferences.listLive(filter);
  }

  /** One customer's conferences, newest first (filters `status`, `type`). */
  listConferences(options: ConferenceListOptions): Promise<Page<Conference>> {
    return this.#store.conferences.list(options);
  }

  /** One customer's conferencecalls, newest first (filters `conference_id`, `status`, `reference_id`). */
  listConferencecalls(options: ConferenceListOptions): Promise<Page<Conferencecall>> {
    return this.#store.conferencecalls.list(options);
  }
}
