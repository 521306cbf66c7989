import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Groupcall, GroupcallChange, GroupcallStorePort } from '../../calls/index.ts';
import { ValidationError, isoTime, systemClock } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';
import { decodePageToken, encodePageToken } from '../../store/index.ts';
import type { Deleted, NewOutboxEvent, Page, Scope, Store, StoreTx } from '../../store/index.ts';

/** Where events go inside a transaction: the EventPublisher (outbox + deliveries, listeners after commit). */
export interface GroupcallEventSink {
  publish(tx: StoreTx, event: NewOutboxEvent): Promise<unknown>;
}

/** What the adapter is built from. */
export interface GroupcallStoreAdapterOptions {
  store: Store;
  events: GroupcallEventSink;
  /** The node stamped on the groupcalls this process inserts (docs/cluster.md); '' outside a cluster. */
  nodeId?: string | undefined;
  /** The time a deletion is stamped with. */
  clock?: Clock;
}

/** One customer's groupcalls, newest first, by keyset pagination. */
export interface GroupcallListOptions {
  customerId: string;
  pageSize: number;
  pageToken?: string;
}

/** The outbox resource type of groupcall events (topics `customer_id:<id>:groupcall[:<groupcall id>]`). */
export const GROUPCALL_RESOURCE_TYPE = 'groupcall';

/** Event type of `DELETE /groupcalls/{id}` (docs/events.md). */
export const GROUPCALL_DELETED = 'groupcall_deleted';

/** The `groupcalls` table of migration 0015. */
interface GroupcallTables {
  groupcalls: {
    id: string;
    customer_id: string;
    status: string;
    node_id: string;
    tm_create: string;
    tm_update: string;
    tm_delete: string | null;
    data: string;
  };
}

const MAX_PAGE_SIZE = 1000;

function parse(row: { data: string }): Groupcall {
  return JSON.parse(row.data) as Groupcall;
}

/**
 * Persistence of groupcalls for the groupcall service (its GroupcallStorePort) and the API (lists,
 * soft delete): every row change and its events are written in one store transaction, so a webhook
 * or WebSocket subscriber only ever hears of a stored state.
 */
export class GroupcallStoreAdapter implements GroupcallStorePort {
  readonly #store: Store;
  readonly #events: GroupcallEventSink;
  readonly #nodeId: string;
  readonly #clock: Clock;

  constructor(options: GroupcallStoreAdapterOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#nodeId = options.nodeId ?? '';
    this.#clock = options.clock ?? systemClock;
  }

  get #db(): Kysely<GroupcallTables> {
    return this.#store.db as unknown as Kysely<GroupcallTables>;
  }

  /** Upserts the row (its node and `tm_delete` are left as they are) and publishes its events, in ONE transaction. */
  async save(change: GroupcallChange): Promise<void> {
    const gc = change.groupcall;
    await this.#store.transaction(async (tx) => {
      const data = JSON.stringify(gc);
      await (tx.db as unknown as Kysely<GroupcallTables>)
        .insertInto('groupcalls')
        .values({
          id: gc.id,
          customer_id: gc.customer_id,
          status: gc.status,
          node_id: this.#nodeId,
          tm_create: gc.tm_create,
          tm_update: gc.tm_update,
          tm_delete: null,
          data,
        })
        .onConflict((oc) => oc.column('id').doUpdateSet({ status: gc.status, tm_update: gc.tm_update, data }))
        .execute();
      for (const event of change.events) await this.#publish(tx, event.type, event.groupcall);
    });
  }

  /** A stored groupcall that is not deleted, optionally only within one customer. */
  async get(id: string, scope: Scope = {}): Promise<Groupcall | undefined> {
    let query = this.#db.selectFrom('groupcalls').select('data').where('id', '=', id).where('tm_delete', 'is', null);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = await query.executeTakeFirst();
    return row ? parse(row) : undefined;
  }

  /** Every stored groupcall not `hangup`, deleted ones included (they may still be ending); with `nodeId`, of that node. */
  async listLive(filter: { nodeId?: string | undefined } = {}): Promise<Groupcall[]> {
    let query = this.#db.selectFrom('groupcalls').select('data').where(sql<boolean>`status <> 'hangup'`);
    if (filter.nodeId !== undefined) query = query.where('node_id', '=', filter.nodeId);
    const rows = await query.orderBy('tm_create', 'asc').execute();
    return rows.map(parse);
  }

  /** One customer's groupcalls that are not deleted, newest first (`tm_create` desc, `id` desc). */
  async list(options: GroupcallListOptions): Promise<Page<Groupcall>> {
    const { pageSize } = options;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
      throw ValidationError.field(
        'page_size',
        'INVALID_PAGE_SIZE',
        `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`,
      );
    let query = this.#db
      .selectFrom('groupcalls')
      .select(['id', 'tm_create', 'data'])
      .where('customer_id', '=', options.customerId)
      .where('tm_delete', 'is', null);
    if (options.pageToken) {
      const after = decodePageToken(options.pageToken);
      query = query.where((eb) =>
        eb.or([
          eb('tm_create', '<', after.tmCreate),
          eb.and([eb('tm_create', '=', after.tmCreate), eb('id', '<', after.id)]),
        ]),
      );
    }
    // One row beyond the page tells whether another page exists without a count query.
    const rows = await query
      .orderBy('tm_create', 'desc')
      .orderBy('id', 'desc')
      .limit(pageSize + 1)
      .execute();
    const page = rows.slice(0, pageSize);
    const last = page[page.length - 1];
    const nextPageToken =
      rows.length > pageSize && last ? encodePageToken({ tmCreate: last.tm_create, id: last.id }) : '';
    return { items: page.map(parse), nextPageToken };
  }

  /** Hides a groupcall from lists and publishes `groupcall_deleted` in the same transaction; undefined when not found. */
  delete(id: string, scope: Scope = {}): Promise<Deleted<Groupcall> | undefined> {
    const tmDelete = isoTime(this.#clock.now());
    return this.#store.transaction(async (tx) => {
      let query = (tx.db as unknown as Kysely<GroupcallTables>)
        .updateTable('groupcalls')
        .set({ tm_delete: tmDelete })
        .where('id', '=', id)
        .where('tm_delete', 'is', null);
      if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
      const row = await query.returning('data').executeTakeFirst();
      if (!row) return undefined;
      const deleted = { ...parse(row), tm_delete: tmDelete };
      await this.#publish(tx, GROUPCALL_DELETED, deleted);
      return deleted;
    });
  }

  async #publish(tx: StoreTx, type: string, gc: Groupcall): Promise<void> {
    await this.#events.publish(tx, {
      customer_id: gc.customer_id,
      resource_type: GROUPCALL_RESOURCE_TYPE,
      resource_id: gc.id,
      type,
      data: gc,
    });
  }
}
