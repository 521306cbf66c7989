import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { Activeflow } from '../flows/index.ts';
import { ValidationError } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import type { TxHandle } from './outbox-repo.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import type { Page, Scope } from './types.ts';

/** The Activeflow object exactly as the flows domain defines it; stored whole in the `data` column. */
export type ActiveflowRecord = Activeflow;

/** An activeflow hidden from lists by `DELETE /activeflows/{id}`: the stored one plus when it was deleted. */
export type DeletedActiveflowRecord = ActiveflowRecord & { tm_delete: string };

/** The row of `activeflows`: the columns lists filter and order on, and the JSON document. */
export interface StoredActiveflow {
  id: string;
  customer_id: string;
  flow_id: string;
  status: string;
  reference_type: string;
  reference_id: string;
  tm_create: string;
  tm_update: string;
  tm_delete: string | null;
  data: string;
}

/** Equality filters of `GET /activeflows`. */
export interface ActiveflowListFilter {
  status?: string;
  reference_id?: string;
}

/** Options of `ActiveflowRepo.list`: one customer's activeflows, newest first, by keyset pagination. */
export interface ActiveflowListOptions {
  customerId: string;
  pageSize: number;
  pageToken?: string;
  filter?: ActiveflowListFilter;
}

/** Activeflows as stored: written only inside a transaction together with their events. */
export interface ActiveflowRepo {
  /** Insert or replace the activeflow's row inside `tx`; a deleted activeflow stays deleted. */
  upsert(tx: TxHandle, activeflow: ActiveflowRecord): Promise<void>;
  /** An activeflow that is not deleted (any status), within the scope. */
  get(id: string, scope?: Scope): Promise<ActiveflowRecord | undefined>;
  /** Not-deleted activeflows of a customer, newest first (`tm_create` desc, `id` desc). */
  list(opts: ActiveflowListOptions): Promise<Page<ActiveflowRecord>>;
  /** Every stored activeflow whose status is `running`, deleted or not (crash reconciliation). */
  listRunning(): Promise<ActiveflowRecord[]>;
  /** Hide a not-deleted activeflow from get and lists inside `tx`; it with `tm_delete`, or undefined. */
  markDeleted(tx: TxHandle, id: string, scope?: Scope): Promise<DeletedActiveflowRecord | undefined>;
}

const MAX_PAGE_SIZE = 1000;
// Written literally (not as a parameter) so the planner can use the partial index activeflows_running_idx.
const RUNNING = sql<boolean>`status = 'running'`;
const FILTER_COLUMNS = ['status', 'reference_id'] as const;

function decode(row: Pick<Selectable<StoredActiveflow>, 'data'>): ActiveflowRecord {
  return JSON.parse(row.data) as ActiveflowRecord;
}

function columnsOf(af: ActiveflowRecord): Omit<StoredActiveflow, 'tm_delete'> {
  return {
    id: af.id,
    customer_id: af.customer_id,
    flow_id: af.flow_id,
    status: af.status,
    reference_type: af.reference_type,
    reference_id: af.reference_id,
    tm_create: af.tm_create,
    tm_update: af.tm_update,
    data: JSON.stringify(af),
  };
}

/** The ActiveflowRepo over the `activeflows` table (both dialects). */
export class ActiveflowTable implements ActiveflowRepo {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async upsert(tx: TxHandle, activeflow: ActiveflowRecord): Promise<void> {
    const values = columnsOf(activeflow);
    // Only what an execution changes is updated; identity columns and tm_delete are left as they are.
    await tx.db
      .insertInto('activeflows')
      .values({ ...values, tm_delete: null })
      .onConflict((oc) => oc.column('id').doUpdateSet({ status: values.status, tm_update: values.tm_update, data: values.data }))
      .execute();
  }

  async get(id: string, scope: Scope = {}): Promise<ActiveflowRecord | undefined> {
    let query = this.#db.selectFrom('activeflows').select('data').where('id', '=', id).where('tm_delete', 'is', null);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = await query.executeTakeFirst();
    return row === undefined ? undefined : decode(row);
  }

  async list(opts: ActiveflowListOptions): Promise<Page<ActiveflowRecord>> {
    const { pageSize } = opts;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw ValidationError.field('page_size', 'INVALID_PAGE_SIZE', `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    let query = this.#db
      .selectFrom('activeflows')
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

  async listRunning(): Promise<ActiveflowRecord[]> {
    const rows = await this.#db.selectFrom('activeflows').select('data').where(RUNNING).orderBy('tm_create', 'asc').execute();
    return rows.map(decode);
  }

  async markDeleted(tx: TxHandle, id: string, scope: Scope = {}): Promise<DeletedActiveflowRecord | undefined> {
    const tmDelete = new Date(this.#clock.now()).toISOString();
    let query = tx.db.updateTable('activeflows').set({ tm_delete: tmDelete }).where('id', '=', id).where('tm_delete', 'is', null);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = await query.returning('data').executeTakeFirst();
    return row === undefined ? undefined : { ...decode(row), tm_delete: tmDelete };
  }
}
