import type { Transfer, TransferChange, TransferStorePort } from '../../calls/index.ts';
import type { NewOutboxEvent, Store, StoreTx } from '../../store/index.ts';

/** Where events go inside a transaction: the EventPublisher (outbox + deliveries, listeners after commit). */
export interface TransferEventSink {
  publish(tx: StoreTx, event: NewOutboxEvent): Promise<unknown>;
}

/** What the adapter is built from. */
export interface TransferStoreAdapterOptions {
  store: Store;
  events: TransferEventSink;
  /** The node that runs the transfers it saves (docs/cluster.md); `''` outside a cluster. */
  nodeId?: string | undefined;
}

/** The outbox resource type of transfer events (topics `customer_id:<id>:transfer[:<transfer id>]`). */
export const TRANSFER_RESOURCE_TYPE = 'transfer';

/** The statuses a transfer has not ended in (`TRANSFER_STATUS_TRANSITIONS` in the calls domain). */
const UNFINISHED = ['initiated', 'ringing', 'answered'] as const;

/** A row of the `transfers` table (migration 0018): the transfer as JSON and the columns lookups need. */
type TransferRow = {
  id: string;
  customer_id: string;
  node_id: string;
  status: string;
  data: string;
  tm_create: string;
  tm_update: string;
};

/** The tables this adapter adds to the store's kysely view. */
type TransferTables = {
  transfers: TransferRow;
};

/** A stored `data` column read back; undefined when it is not a transfer (a corrupt row). */
function parseTransfer(data: string): Transfer | undefined {
  try {
    const t = JSON.parse(data) as Partial<Transfer> | null;
    return t && typeof t.id === 'string' && typeof t.status === 'string' ? (t as Transfer) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Persistence of transfers for the calls domain (its TransferStorePort): each change writes the
 * transfer's row and its `transfer_*` events in one store transaction, so a transfer outlives the
 * process that ran it (`GET /transfers/{id}` after a restart) and one left running by a crashed
 * process is found and ended at the next start (docs/calls.md "Crash safety").
 */
export class TransferStoreAdapter implements TransferStorePort {
  readonly #store: Store;
  readonly #events: TransferEventSink;
  readonly #nodeId: string;

  constructor(options: TransferStoreAdapterOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#nodeId = options.nodeId ?? '';
  }

  async save(change: TransferChange): Promise<void> {
    const t = change.transfer;
    const data = JSON.stringify(t);
    await this.#store.transaction(async (tx) => {
      await tx.db
        .withTables<TransferTables>()
        .insertInto('transfers')
        .values({
          id: t.id,
          customer_id: t.customer_id,
          node_id: this.#nodeId,
          status: t.status,
          data,
          tm_create: t.tm_create,
          tm_update: t.tm_update,
        })
        .onConflict((oc) => oc.column('id').doUpdateSet({ status: t.status, data, tm_update: t.tm_update }))
        .execute();
      for (const e of change.events) {
        await this.#events.publish(tx, {
          customer_id: e.transfer.customer_id,
          resource_type: TRANSFER_RESOURCE_TYPE,
          resource_id: e.transfer.id,
          type: e.type,
          data: e.transfer,
        });
      }
    });
  }

  async get(transferId: string): Promise<Transfer | undefined> {
    const row = await this.#store.db
      .withTables<TransferTables>()
      .selectFrom('transfers')
      .select('data')
      .where('id', '=', transferId)
      .executeTakeFirst();
    return row ? parseTransfer(row.data) : undefined;
  }

  async listUnfinished(filter: { nodeId?: string } = {}): Promise<Transfer[]> {
    let query = this.#store.db
      .withTables<TransferTables>()
      .selectFrom('transfers')
      .select('data')
      .where('status', 'in', [...UNFINISHED]);
    if (filter.nodeId !== undefined) query = query.where('node_id', '=', filter.nodeId);
    const rows = await query.orderBy('tm_create').execute();
    return rows.flatMap((r) => parseTransfer(r.data) ?? []);
  }
}
