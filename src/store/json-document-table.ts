import type { Kysely, RawBuilder } from 'kysely';
import { ValidationError } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import { jsonIn } from './outbox-repo.ts';
import type { TxHandle } from './outbox-repo.ts';
import type { SqliteSession } from './sqlite-session.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import type { Page, Scope } from './types.ts';

/** A row hidden by a DELETE: the stored object plus when it was deleted. */
export type Deleted<T> = T & { tm_delete: string };

/** Options of a list: one customer's rows, newest first, by keyset pagination, with equality filters. */
export interface JsonListOptions<F extends object = Record<string, string | undefined>> {
  customerId: string;
  pageSize: number;
  pageToken?: string;
  filter?: F;
}

/** Which node's rows a reconciliation listing returns (docs/cluster.md); no `nodeId`: every node's. */
export interface NodeFilter {
  nodeId?: string | undefined;
}

/** What distinguishes one JSON-document table from another. */
export interface JsonTableSpec<T> {
  table: string;
  /** The indexed columns stored beside the JSON `data`, taken from the object. */
  columns(value: T): Record<string, string>;
  /** Columns `list` filters on by equality; another key is refused. */
  filters: readonly string[];
  /**
   * Tables with a `node_id` column (migration 0011): the node stamped on every row this store
   * inserts. An update never changes it: a row's owner never moves (docs/cluster.md).
   */
  nodeId?: string;
}

// Columns an upsert writes only when it inserts the row.
const INSERT_ONLY = new Set(['id', 'customer_id', 'tm_create', 'node_id']);

const MAX_PAGE_SIZE = 1000;

/**
 * A table holding a domain object whole in a JSON `data` column, with the columns lists filter and
 * sort on beside it (calls, activeflows, recordings, conferences). Rows are written only inside a
 * transaction, together with their events; deleted rows stay deleted.
 */
export class JsonDocumentTable<
  T extends { id: string; tm_create: string },
  F extends object = Record<string, string | undefined>,
> {
  // The tables share this shape; kysely's per-table typing cannot follow a table chosen at run time.
  readonly #db: Kysely<any>;
  readonly #clock: Clock;
  readonly #spec: JsonTableSpec<T>;
  readonly #session: SqliteSession | undefined;
  /** The SQLite upsert by the column list it was built for. */
  #upsertSql: { key: string; sql: string } | undefined;

  constructor(db: Kysely<Database>, clock: Clock, spec: JsonTableSpec<T>, session?: SqliteSession) {
    this.#db = db as unknown as Kysely<any>;
    this.#clock = clock;
    this.#spec = spec;
    this.#session = session;
  }

  /** Insert or replace the row inside `tx`; identity columns and `tm_delete` are left as they are. */
  async upsert(tx: TxHandle, value: T): Promise<void> {
    const columns: Record<string, string> = { ...this.#spec.columns(value), data: jsonIn(tx, value) };
    if (this.#spec.nodeId !== undefined) columns.node_id = this.#spec.nodeId;
    if (this.#session) {
      // The transaction holds SQLite's one connection: one prepared statement, synchronously.
      const names = Object.keys(columns);
      this.#session.statement(this.#upsertSqlFor(names)).run(...names.map((n) => columns[n] ?? null));
      return;
    }
    if (tx.pgQuery) {
      // PostgreSQL: the same upsert as a named prepared statement, without kysely's compile.
      const names = Object.keys(columns);
      await tx.pgQuery(this.#upsertSqlFor(names, true), [...names.map((n) => columns[n] ?? null)]);
      return;
    }
    const changing = Object.fromEntries(Object.entries(columns).filter(([n]) => !INSERT_ONLY.has(n)));
    await (tx.db as unknown as Kysely<any>)
      .insertInto(this.#spec.table)
      .values({ ...columns, tm_delete: null })
      .onConflict((oc) => oc.column('id').doUpdateSet(changing))
      .execute();
  }

  /** The upsert of `names`; `numbered`: PostgreSQL's `$1` placeholders instead of `?`. */
  #upsertSqlFor(names: readonly string[], numbered = false): string {
    const key = names.join(',');
    if (this.#upsertSql?.key !== (numbered ? `$${key}` : key)) {
      const changing = names.filter((n) => !INSERT_ONLY.has(n));
      const marks = names.map((_, i) => (numbered ? `$${i + 1}` : '?')).join(', ');
      const sql =
        `insert into ${this.#spec.table} (${key}, tm_delete) values (${marks}, null) ` +
        `on conflict (id) do update set ${changing.map((n) => `${n} = excluded.${n}`).join(', ')}`;
      this.#upsertSql = { key: numbered ? `$${key}` : key, sql };
    }
    return this.#upsertSql.sql;
  }

  /** A row that is not deleted (any status), within the scope. */
  async get(id: string, scope: Scope = {}): Promise<T | undefined> {
    let query = this.#db
      .selectFrom(this.#spec.table)
      .select('data')
      .where('id', '=', id)
      .where('tm_delete', 'is', null);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = (await query.executeTakeFirst()) as { data: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.data) as T);
  }

  /** Not-deleted rows of a customer, newest first (`tm_create` desc, `id` desc). */
  async list(opts: JsonListOptions<F>): Promise<Page<T>> {
    const { pageSize } = opts;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw ValidationError.field(
        'page_size',
        'INVALID_PAGE_SIZE',
        `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`,
      );
    }
    let query = this.#db
      .selectFrom(this.#spec.table)
      .select(['id', 'tm_create', 'data'])
      .where('customer_id', '=', opts.customerId)
      .where('tm_delete', 'is', null);
    for (const [column, value] of Object.entries(opts.filter ?? {}) as [string, unknown][]) {
      if (value === undefined) continue;
      if (!this.#spec.filters.includes(column))
        throw ValidationError.field(column, 'INVALID_FILTER', `${column} is not a filter of ${this.#spec.table}`);
      query = query.where(column, '=', value);
    }
    if (opts.pageToken) {
      const after = decodePageToken(opts.pageToken);
      query = query.where((eb) =>
        eb.or([
          eb('tm_create', '<', after.tmCreate),
          eb.and([eb('tm_create', '=', after.tmCreate), eb('id', '<', after.id)]),
        ]),
      );
    }
    // One row beyond the page tells whether another page exists without a count query.
    const rows = (await query
      .orderBy('tm_create', 'desc')
      .orderBy('id', 'desc')
      .limit(pageSize + 1)
      .execute()) as { id: string; tm_create: string; data: string }[];
    const page = rows.slice(0, pageSize);
    const last = page[page.length - 1];
    const nextPageToken =
      rows.length > pageSize && last ? encodePageToken({ tmCreate: last.tm_create, id: last.id }) : '';
    return { items: page.map((r) => JSON.parse(r.data) as T), nextPageToken };
  }

  /** Hide a not-deleted row inside `tx`; it with `tm_delete`, or undefined. */
  async markDeleted(tx: TxHandle, id: string, scope: Scope = {}): Promise<Deleted<T> | undefined> {
    const tmDelete = new Date(this.#clock.now()).toISOString();
    let query = (tx.db as unknown as Kysely<any>)
      .updateTable(this.#spec.table)
      .set({ tm_delete: tmDelete })
      .where('id', '=', id)
      .where('tm_delete', 'is', null);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = (await query.returning('data').executeTakeFirst()) as { data: string } | undefined;
    return row === undefined ? undefined : { ...(JSON.parse(row.data) as T), tm_delete: tmDelete };
  }

  /**
   * The node that inserted row `id` and owns it (tables with `node_id`, deleted rows included);
   * undefined when no such row exists.
   */
  async ownerOf(id: string): Promise<string | undefined> {
    const row = (await this.#db
      .selectFrom(this.#spec.table)
      .select('node_id')
      .where('id', '=', id)
      .executeTakeFirst()) as { node_id: string } | undefined;
    return row?.node_id;
  }

  /**
   * Every row (deleted or not) matching a literal condition, oldest first — for start-up and dead
   * node reconciliation, of one node's rows when `filter.nodeId` is set; the condition is written
   * literally so the planner can use a partial index.
   */
  protected async allWhere(condition: RawBuilder<boolean>, filter: NodeFilter = {}): Promise<T[]> {
    let query = this.#db.selectFrom(this.#spec.table).select('data').where(condition);
    if (filter.nodeId !== undefined) query = query.where('node_id', '=', filter.nodeId);
    const rows = (await query.orderBy('tm_create', 'asc').execute()) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as T);
  }
}
