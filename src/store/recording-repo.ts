import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { Recording } from '../recordings/index.ts';
import { ValidationError } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import type { TxHandle } from './outbox-repo.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import type { Page, Scope } from './types.ts';

/** The Recording object exactly as the recordings domain defines it; stored whole in the `data` column. */
export type RecordingRecord = Recording;

/** A recording hidden by `DELETE /recordings/{id}`: the stored one plus when it was deleted. */
export type DeletedRecordingRecord = RecordingRecord & { tm_delete: string };

/** The row of `recordings`: the columns lists filter and order on, and the JSON document. */
export interface StoredRecording {
  id: string;
  customer_id: string;
  reference_type: string;
  reference_id: string;
  status: string;
  tm_create: string;
  tm_update: string;
  tm_delete: string | null;
  data: string;
}

/** Equality filters of `GET /recordings`. */
export interface RecordingListFilter {
  reference_id?: string;
}

/** Options of `RecordingRepo.list`: one customer's recordings, newest first, by keyset pagination. */
export interface RecordingListOptions {
  customerId: string;
  pageSize: number;
  pageToken?: string;
  filter?: RecordingListFilter;
}

/** Recordings as stored: written only inside a transaction together with their events. */
export interface RecordingRepo {
  /** Insert or replace the recording's row inside `tx`; a deleted recording stays deleted. */
  upsert(tx: TxHandle, recording: RecordingRecord): Promise<void>;
  /** A recording that is not deleted (any status), within the scope. */
  get(id: string, scope?: Scope): Promise<RecordingRecord | undefined>;
  /** Not-deleted recordings of a customer, newest first (`tm_create` desc, `id` desc). */
  list(opts: RecordingListOptions): Promise<Page<RecordingRecord>>;
  /** Every stored recording whose status is not `ended`, deleted or not (crash repair). */
  listUnfinished(): Promise<RecordingRecord[]>;
  /** Hide a not-deleted recording inside `tx`; it with `tm_delete`, or undefined. */
  markDeleted(tx: TxHandle, id: string, scope?: Scope): Promise<DeletedRecordingRecord | undefined>;
}

const MAX_PAGE_SIZE = 1000;
// Written literally (not as a parameter) so the planner can use the partial index recordings_unfinished_idx.
const UNFINISHED = sql<boolean>`status <> 'ended'`;

function decode(row: Pick<Selectable<StoredRecording>, 'data'>): RecordingRecord {
  return JSON.parse(row.data) as RecordingRecord;
}

function columnsOf(rec: RecordingRecord): Omit<StoredRecording, 'tm_delete'> {
  return {
    id: rec.id,
    customer_id: rec.customer_id,
    reference_type: rec.reference_type,
    reference_id: rec.reference_id,
    status: rec.status,
    tm_create: rec.tm_create,
    tm_update: rec.tm_update,
    data: JSON.stringify(rec),
  };
}

/** The RecordingRepo over the `recordings` table (both dialects). */
export class RecordingTable implements RecordingRepo {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async upsert(tx: TxHandle, recording: RecordingRecord): Promise<void> {
    const values = columnsOf(recording);
    // Only what the lifecycle changes is updated; identity columns and tm_delete are left as they are.
    await tx.db
      .insertInto('recordings')
      .values({ ...values, tm_delete: null })
      .onConflict((oc) => oc.column('id').doUpdateSet({ status: values.status, tm_update: values.tm_update, data: values.data }))
      .execute();
  }

  async get(id: string, scope: Scope = {}): Promise<RecordingRecord | undefined> {
    let query = this.#db.selectFrom('recordings').select('data').where('id', '=', id).where('tm_delete', 'is', null);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = await query.executeTakeFirst();
    return row === undefined ? undefined : decode(row);
  }

  async list(opts: RecordingListOptions): Promise<Page<RecordingRecord>> {
    const { pageSize } = opts;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw ValidationError.field('page_size', 'INVALID_PAGE_SIZE', `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    let query = this.#db
      .selectFrom('recordings')
      .select(['id', 'tm_create', 'data'])
      .where('customer_id', '=', opts.customerId)
      .where('tm_delete', 'is', null);
    const referenceId = opts.filter?.reference_id;
    if (referenceId !== undefined) query = query.where('reference_id', '=', referenceId);
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

  async listUnfinished(): Promise<RecordingRecord[]> {
    const rows = await this.#db.selectFrom('recordings').select('data').where(UNFINISHED).orderBy('tm_create', 'asc').execute();
    return rows.map(decode);
  }

  async markDeleted(tx: TxHandle, id: string, scope: Scope = {}): Promise<DeletedRecordingRecord | undefined> {
    const tmDelete = new Date(this.#clock.now()).toISOString();
    let query = tx.db.updateTable('recordings').set({ tm_delete: tmDelete }).where('id', '=', id).where('tm_delete', 'is', null);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = await query.returning('data').executeTakeFirst();
    return row === undefined ? undefined : { ...decode(row), tm_delete: tmDelete };
  }
}
