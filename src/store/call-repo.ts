import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { Call } from '../calls/index.ts';
import { ValidationError } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import type { TxHandle } from './outbox-repo.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import type { Page, Scope } from './types.ts';

/** The Call object exactly as the calls domain defines it; stored whole in the `data` column. */
export type CallRecord = Call;

/** A call hidden from lists by `DELETE /calls/{id}`: the stored call plus when it was deleted. */
export type DeletedCallRecord = CallRecord & { tm_delete: string };

/** The row of `calls`: the columns lists filter and order on, and the JSON document. */
export interface StoredCall {
  id: string;
  customer_id: string;
  status: string;
  direction: string;
  master_call_id: string;
  tm_create: string;
  tm_update: string;
  tm_delete: string | null;
  data: string;
}

/** Equality filters of `GET /calls`. */
export interface CallListFilter {
  status?: string;
  direction?: string;
}

/** Options of `CallRepo.list`: one customer's calls, newest first, by keyset pagination. */
export interface CallListOptions {
  customerId: string;
  pageSize: number;
  pageToken?: string;
  filter?: CallListFilter;
}

/** Calls as stored: written only inside a transaction together with their events. */
export interface CallRepo {
  /** Insert or replace the call's row inside `tx`; a deleted call stays deleted. */
  upsert(tx: TxHandle, call: CallRecord): Promise<void>;
  /** A call that is not deleted (any status), within the scope. */
  get(id: string, scope?: Scope): Promise<CallRecord | undefined>;
  /** Not-deleted calls of a customer, newest first (`tm_create` desc, `id` desc). */
  list(opts: CallListOptions): Promise<Page<CallRecord>>;
  /** Every stored call whose status is not `hangup` (crash reconciliation). */
  listLive(): Promise<CallRecord[]>;
  /** Hide a not-deleted call from lists inside `tx`; the call with `tm_delete`, or undefined. */
  markDeleted(tx: TxHandle, id: string, scope?: Scope): Promise<DeletedCallRecord | undefined>;
}

const MAX_PAGE_SIZE = 1000;
// Written literally (not as a parameter) so the planner can use the partial index calls_live_idx.
const LIVE = sql<boolean>`status <> 'hangup'`;
const FILTER_COLUMNS = ['status', 'direction'] as const;

function decode(row: Pick<Selectable<StoredCall>, 'data'>): CallRecord {
  return JSON.parse(row.data) as CallRecord;
}

function columnsOf(call: CallRecord): Omit<StoredCall, 'tm_delete'> {
  return {
    id: call.id,
    customer_id: call.customer_id,
    status: call.status,
    direction: call.direction,
    master_call_id: call.master_call_id,
    tm_create: call.tm_create,
    tm_update: call.tm_update,
    data: JSON.stringify(call),
  };
}

/** The CallRepo over the `calls` table (both dialects). */
export class CallTable implements CallRepo {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async upsert(tx: TxHandle, call: CallRecord): Promise<void> {
    const values = columnsOf(call);
    // customer_id, direction and tm_create never change after creation; tm_delete is left as it is.
    await tx.db
      .insertInto('calls')
      .values({ ...values, tm_delete: null })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ status: values.status, master_call_id: values.master_call_id, tm_update: values.tm_update, data: values.data }),
      )
      .execute();
  }

  async get(id: string, scope: Scope = {}): Promise<CallRecord | undefined> {
    let query = this.#db.selectFrom('calls').select('data').where('id', '=', id).where('tm_delete', 'is', null);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = await query.executeTakeFirst();
    return row === undefined ? undefined : decode(row);
  }

  async list(opts: CallListOptions): Promise<Page<CallRecord>> {
    const { pageSize } = opts;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw ValidationError.field('page_size', 'INVALID_PAGE_SIZE', `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    let query = this.#db
      .selectFrom('calls')
      .select(['id', 'tm_create', 'data'])
      .where('customer_id', '=', opts.customerId)
      .where('tm_delete', 'is', null);
    for (const column of FILTER_COLUMNS) {
      const value = opts.filter?.[column];
      if (value !== undefined) query = query.where(column, '=', value);
    }
    if (opts.pageToken) {
      const after = decodePageToken(opts.pageToken);
      query = query.where((eb) =>
        eb.or([eb('tm_create', '<', after.tmCreate), eb.and([eb('tm_create', '=', after.tmCreate), eb('id', '<', after.id)])]),
      );
    }
    // One row beyond the page tells whether another page exists without a count query.
    const rows = await query.orderBy('tm_create', 'desc').orderBy('id', 'desc').limit(pageSize + 1).execute();
    const page = rows.slice(0, pageSize);
    const last = page[page.length - 1];
    const nextPageToken = rows.length > pageSize && last ? encodePageToken({ tmCreate: last.tm_create, id: last.id }) : '';
    return { items: page.map(decode), nextPageToken };
  }

  async listLive(): Promise<CallRecord[]> {
    const rows = await this.#db.selectFrom('calls').select('data').where(LIVE).orderBy('tm_create', 'asc').execute();
    return rows.map(decode);
  }

  async markDeleted(tx: TxHandle, id: string, scope: Scope = {}): Promise<DeletedCallRecord | undefined> {
    const tmDelete = new Date(this.#clock.now()).toISOString();
    let query = tx.db.updateTable('calls').set({ tm_delete: tmDelete }).where('id', '=', id).where('tm_delete', 'is', null);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = await query.returning('data').executeTakeFirst();
    return row === undefined ? undefined : { ...decode(row), tm_delete: tmDelete };
  }
}
