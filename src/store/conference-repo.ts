import type { Kysely } from 'kysely';
import type { Conference, Conferencecall } from '../conferences/index.ts';
import { ValidationError } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import type { TxHandle } from './outbox-repo.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import type { Page, Scope } from './types.ts';

/** The Conference object as the conferences domain defines it; stored whole in `data`. */
export type ConferenceRecord = Conference;

/** A conferencecall as the conferences domain defines it; stored whole in `data`. */
export type ConferencecallRecord = Conferencecall;

/** A row hidden by a DELETE: the stored object plus when it was deleted. */
export type Deleted<T> = T & { tm_delete: string };

/** The row of `conferences`. */
export interface StoredConference {
  id: string;
  customer_id: string;
  type: string;
  status: string;
  tm_create: string;
  tm_update: string;
  tm_delete: string | null;
  data: string;
}

/** The row of `conferencecalls`. */
export interface StoredConferencecall {
  id: string;
  customer_id: string;
  conference_id: string;
  reference_id: string;
  status: string;
  tm_create: string;
  tm_update: string;
  tm_delete: string | null;
  data: string;
}

/** Options of a list: one customer's rows, newest first, by keyset pagination, with equality filters. */
export interface ConferenceListOptions {
  customerId: string;
  pageSize: number;
  pageToken?: string;
  filter?: Record<string, string>;
}

/** One JSON-document table: written only inside a transaction together with its events. */
export interface JsonDocumentRepo<T> {
  /** Insert or replace the row inside `tx`; a deleted row stays deleted. */
  upsert(tx: TxHandle, value: T): Promise<void>;
  /** A row that is not deleted, within the scope. */
  get(id: string, scope?: Scope): Promise<T | undefined>;
  /** Not-deleted rows of a customer, newest first (`tm_create` desc, `id` desc); unknown filter keys are refused. */
  list(opts: ConferenceListOptions): Promise<Page<T>>;
  /** Hide a not-deleted row inside `tx`; it with `tm_delete`, or undefined. */
  markDeleted(tx: TxHandle, id: string, scope?: Scope): Promise<Deleted<T> | undefined>;
}

/** Conferences as stored (filters: `status`, `type`). */
export type ConferenceRepo = JsonDocumentRepo<ConferenceRecord>;

/** Conferencecalls as stored (filters: `status`, `conference_id`, `reference_id`). */
export type ConferencecallRepo = JsonDocumentRepo<ConferencecallRecord>;

const MAX_PAGE_SIZE = 1000;

interface TableSpec<T> {
  table: 'conferences' | 'conferencecalls';
  /** The indexed columns besides the JSON, taken from the object. */
  columns(value: T): Record<string, string>;
  filters: readonly string[];
}

/** A JsonDocumentRepo over one table (both dialects). */
class JsonDocumentTable<T extends { id: string; tm_create: string }> implements JsonDocumentRepo<T> {
  // The two tables share their shape; kysely's per-table typing cannot follow a table name chosen at run time.
  readonly #db: Kysely<any>;
  readonly #clock: Clock;
  readonly #spec: TableSpec<T>;

  constructor(db: Kysely<Database>, clock: Clock, spec: TableSpec<T>) {
    this.#db = db as unknown as Kysely<any>;
    this.#clock = clock;
    this.#spec = spec;
  }

  async upsert(tx: TxHandle, value: T): Promise<void> {
    const columns: Record<string, string> = { ...this.#spec.columns(value), data: JSON.stringify(value) };
    const { id: _id, customer_id: _customer, tm_create: _created, ...changing } = columns;
    await (tx.db as unknown as Kysely<any>)
      .insertInto(this.#spec.table)
      .values({ ...columns, tm_delete: null })
      .onConflict((oc) => oc.column('id').doUpdateSet(changing))
      .execute();
  }

  async get(id: string, scope: Scope = {}): Promise<T | undefined> {
    let query = this.#db.selectFrom(this.#spec.table).select('data').where('id', '=', id).where('tm_delete', 'is', null);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = (await query.executeTakeFirst()) as { data: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.data) as T);
  }

  async list(opts: ConferenceListOptions): Promise<Page<T>> {
    const { pageSize } = opts;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw ValidationError.field('page_size', 'INVALID_PAGE_SIZE', `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    let query = this.#db.selectFrom(this.#spec.table).select(['id', 'tm_create', 'data']).where('customer_id', '=', opts.customerId).where('tm_delete', 'is', null);
    for (const [column, value] of Object.entries(opts.filter ?? {})) {
      if (!this.#spec.filters.includes(column)) throw ValidationError.field(column, 'INVALID_FILTER', `${column} is not a filter of ${this.#spec.table}`);
      query = query.where(column, '=', value);
    }
    if (opts.pageToken) {
      const after = decodePageToken(opts.pageToken);
      query = query.where((eb) => eb.or([eb('tm_create', '<', after.tmCreate), eb.and([eb('tm_create', '=', after.tmCreate), eb('id', '<', after.id)])]));
    }
    // One row beyond the page tells whether another page exists without a count query.
    const rows = (await query.orderBy('tm_create', 'desc').orderBy('id', 'desc').limit(pageSize + 1).execute()) as { id: string; tm_create: string; data: string }[];
    const page = rows.slice(0, pageSize);
    const last = page[page.length - 1];
    const nextPageToken = rows.length > pageSize && last ? encodePageToken({ tmCreate: last.tm_create, id: last.id }) : '';
    return { items: page.map((r) => JSON.parse(r.data) as T), nextPageToken };
  }

  async markDeleted(tx: TxHandle, id: string, scope: Scope = {}): Promise<Deleted<T> | undefined> {
    const tmDelete = new Date(this.#clock.now()).toISOString();
    let query = (tx.db as unknown as Kysely<any>).updateTable(this.#spec.table).set({ tm_delete: tmDelete }).where('id', '=', id).where('tm_delete', 'is', null);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = (await query.returning('data').executeTakeFirst()) as { data: string } | undefined;
    return row === undefined ? undefined : { ...(JSON.parse(row.data) as T), tm_delete: tmDelete };
  }
}

/** The ConferenceRepo over the `conferences` table. */
export function conferenceTable(db: Kysely<Database>, clock: Clock): ConferenceRepo {
  return new JsonDocumentTable<ConferenceRecord>(db, clock, {
    table: 'conferences',
    columns: (c) => ({ id: c.id, customer_id: c.customer_id, type: c.type, status: c.status, tm_create: c.tm_create, tm_update: c.tm_update }),
    filters: ['status', 'type'],
  });
}

/** The ConferencecallRepo over the `conferencecalls` table. */
export function conferencecallTable(db: Kysely<Database>, clock: Clock): ConferencecallRepo {
  return new JsonDocumentTable<ConferencecallRecord>(db, clock, {
    table: 'conferencecalls',
    columns: (c) => ({
      id: c.id, customer_id: c.customer_id, conference_id: c.conference_id, reference_id: c.reference_id, status: c.status, tm_create: c.tm_create, tm_update: c.tm_update,
    }),
    filters: ['status', 'conference_id', 'reference_id'],
  });
}
