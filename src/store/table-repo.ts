import { CompiledQuery, type Kysely, type SelectQueryBuilder } from 'kysely';
import { ValidationError, newId } from '../shared/index.ts';
import { isoNow, type Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import type { ListOptions, NewRow, Page, Patch, Repo, Scope } from './types.ts';
import { mapUniqueViolation } from './unique-violation.ts';
import type { UniqueSpec } from './unique-violation.ts';

/** The columns every soft-deletable resource has. */
export interface Resource {
  id: string;
  tm_create: string;
  tm_update: string;
  tm_delete?: string;
}

/** What distinguishes one resource table from another. */
export interface TableSpec<T> {
  table: string;
  /** Column compared with `Scope.customerId` (`id` for the customers table itself). */
  scopeColumn: 'customer_id' | 'id';
  /** Columns stored as JSON text. */
  jsonColumns: readonly (keyof T & string)[];
  /** String columns `list` may filter on by equality. */
  filterColumns: readonly (keyof T & string)[];
  uniques: readonly UniqueSpec[];
}

// Table names are only known at runtime here, so the generic code uses kysely untyped; the typed
// surface is the Repo<T> it implements.
type AnyDb = Kysely<any>;
type Row = Record<string, unknown>;

const MAX_PAGE_SIZE = 1000;
const ROW_CACHE_TTL_MS = 2000;
const ROW_CACHE_MAX = 10_000;
const ID_MARK = '\u0000id';
const SCOPE_MARK = '\u0000scope';

/**
 * A synchronous query on the embedded database, for the few hot reads where kysely's per-query
 * overhead costs more than the query itself (SQLite only; PostgreSQL always goes through kysely).
 */
export type RawQuery = (sql: string, params: readonly unknown[]) => Row[];

/** A compiled get-by-id: which parameter slots take the id (0), the scope (1) or stay fixed (2). */
interface CompiledGet {
  sql: string;
  marks: number[];
  fixed: readonly unknown[];
}
const BOOKKEEPING = new Set(['id', 'tm_create', 'tm_update', 'tm_delete']);

/** The one Repo implementation, parameterised by a TableSpec; special finders subclass it. */
export class TableRepo<T extends Resource> implements Repo<T> {
  readonly #db: AnyDb;
  #getScoped: CompiledGet | undefined;
  /**
   * Recently read raw rows by id, for the embedded store only: this process is the database's only
   * writer of existing rows, so its own update/delete invalidate; the TTL bounds staleness from a
   * CLI process changing the same file. PostgreSQL (several nodes) is never cached.
   */
  #rows = new Map<string, { row: Row; at: number }>();
  #getAny: CompiledGet | undefined;
  readonly #clock: Clock;
  readonly #spec: TableSpec<T>;

  readonly #raw: RawQuery | undefined;
  /** Compiled SQL of `findLive` per column set (embedded store). */
  readonly #finders = new Map<string, string>();

  constructor(db: Kysely<Database>, clock: Clock, spec: TableSpec<T>, raw?: RawQuery) {
    this.#db = db as unknown as AnyDb;
    this.#raw = raw;
    this.#clock = clock;
    this.#spec = spec;
  }

  /** Insert a row with a fresh id (unless given) and both timestamps set to now. */
  async create(row: NewRow<T>): Promise<T> {
    const now = this.#now();
    const values = { ...this.#encode(row as Row), id: row.id ?? newId(), tm_create: now, tm_update: now };
    try {
      const stored = await this.#db
        .insertInto(this.#spec.table)
        .values(values)
        .returningAll()
        .executeTakeFirstOrThrow();
      return this.decode(stored);
    } catch (err) {
      throw mapUniqueViolation(this.#spec.table, err, this.#spec.uniques);
    }
  }

  /** A live row by id within the scope. */
  async get(id: string, scope: Scope = {}): Promise<T | undefined> {
    const cached = this.#rows.get(id);
    if (cached && this.#clock.now() - cached.at < ROW_CACHE_TTL_MS) {
      if (scope.customerId !== undefined && cached.row[this.#spec.scopeColumn] !== scope.customerId) return undefined;
      return this.decode(cached.row);
    }
    // The hottest query of the API: compiled once per scope shape, then only re-parameterised.
    const scoped = scope.customerId !== undefined;
    let compiled = scoped ? this.#getScoped : this.#getAny;
    if (!compiled) {
      const q = this.liveRows(scoped ? { customerId: SCOPE_MARK } : {})
        .where('id', '=', ID_MARK)
        .compile();
      compiled = {
        sql: q.sql,
        marks: q.parameters.map((p) => (p === ID_MARK ? 0 : p === SCOPE_MARK ? 1 : 2)),
        fixed: q.parameters,
      };
      if (scoped) this.#getScoped = compiled;
      else this.#getAny = compiled;
    }
    const c = compiled;
    const params = c.marks.map((m, i) => (m === 0 ? id : m === 1 ? scope.customerId : c.fixed[i]));
    const row = this.#raw
      ? this.#raw(c.sql, params)[0]
      : (await this.#db.executeQuery<Row>(CompiledQuery.raw(c.sql, params))).rows[0];
    if (row === undefined) return undefined;
    if (this.#raw) {
      if (this.#rows.size >= ROW_CACHE_MAX) this.#rows.clear();
      this.#rows.set(id, { row, at: this.#clock.now() });
    }
    return this.decode(row);
  }

  /** Live rows newest first; the token is the keyset position after the previous page's last row. */
  async list(opts: ListOptions): Promise<Page<T>> {
    const { pageSize } = opts;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw ValidationError.field(
        'page_size',
        'INVALID_PAGE_SIZE',
        `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`,
      );
    }
    let query = this.liveRows(opts);
    for (const [column, value] of Object.entries(opts.filter ?? {})) {
      if (!(this.#spec.filterColumns as readonly string[]).includes(column)) {
        throw ValidationError.field(column, 'INVALID_FILTER', `${this.#spec.table} cannot be filtered by ${column}`);
      }
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
    const rows = await query
      .orderBy('tm_create', 'desc')
      .orderBy('id', 'desc')
      .limit(pageSize + 1)
      .execute();
    const items = rows.slice(0, pageSize).map((r) => this.decode(r));
    const last = items[items.length - 1];
    const nextPageToken =
      rows.length > pageSize && last ? encodePageToken({ tmCreate: last.tm_create, id: last.id }) : '';
    return { items, nextPageToken };
  }

  /** Change the given fields of a live row and stamp `tm_update`. */
  async update(id: string, patch: Patch<T>, scope: Scope = {}): Promise<T | undefined> {
    this.#rows.delete(id);
    const values = { ...this.#encode(patch as Row), tm_update: this.#now() };
    try {
      const row = await this.#scoped(this.#db.updateTable(this.#spec.table).set(values).where('id', '=', id), scope)
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? undefined : this.decode(row);
    } catch (err) {
      throw mapUniqueViolation(this.#spec.table, err, this.#spec.uniques);
    }
  }

  /** Soft delete: stamp `tm_delete`, which hides the row and frees its unique values. */
  async delete(id: string, scope: Scope = {}): Promise<T | undefined> {
    this.#rows.delete(id);
    const query = this.#db.updateTable(this.#spec.table).set({ tm_delete: this.#now() }).where('id', '=', id);
    const row = await this.#scoped(query, scope).returningAll().executeTakeFirst();
    return row === undefined ? undefined : this.decode(row);
  }

  /** Drop the cached rows (after rows of this table changed through another repository, e.g. a customer's cascade). */
  forgetCachedRows(): void {
    this.#rows.clear();
  }

  /** Select of the live rows visible within `scope`, for finders of subclasses. */
  protected liveRows(scope: Scope): SelectQueryBuilder<any, string, Row> {
    return this.#scoped(this.#db.selectFrom(this.#spec.table).selectAll(), scope);
  }

  /** The first live row matching every column = value pair (any customer). */
  protected async findLive(where: Record<string, string>): Promise<T | undefined> {
    const columns = Object.keys(where);
    if (this.#raw) {
      // Embedded store: compiled once per column set, run synchronously (no wait for the connection).
      const key = columns.join(',');
      let sqlText = this.#finders.get(key);
      if (sqlText === undefined) {
        let q = this.liveRows({});
        for (const column of columns) q = q.where(column, '=', '');
        sqlText = q.compile().sql;
        this.#finders.set(key, sqlText);
      }
      const row = this.#raw(
        sqlText,
        columns.map((c) => where[c]),
      )[0];
      return row === undefined ? undefined : this.decode(row);
    }
    // PostgreSQL: compiled once per column set too, then only re-parameterised (no compile per call).
    const key = `pg:${columns.join(',')}`;
    let sqlText = this.#finders.get(key);
    if (sqlText === undefined) {
      let q = this.liveRows({});
      for (const column of columns) q = q.where(column, '=', '');
      sqlText = q.compile().sql;
      this.#finders.set(key, sqlText);
    }
    const { rows } = await this.#db.executeQuery<Row>(
      CompiledQuery.raw(
        sqlText,
        columns.map((c) => where[c]),
      ),
    );
    const row = rows[0];
    return row === undefined ? undefined : this.decode(row);
  }

  /** A stored row as the public type: JSON decoded, null columns absent. */
  protected decode(row: Row): T {
    const out: Row = {};
    for (const [column, value] of Object.entries(row)) {
      if (value === null) continue;
      out[column] = (this.#spec.jsonColumns as readonly string[]).includes(column)
        ? JSON.parse(value as string)
        : value;
    }
    return out as T;
  }

  #encode(fields: Row): Row {
    const out: Row = {};
    for (const [column, value] of Object.entries(fields)) {
      if (value === undefined || BOOKKEEPING.has(column)) continue;
      out[column] = (this.#spec.jsonColumns as readonly string[]).includes(column) ? JSON.stringify(value) : value;
    }
    return out;
  }

  #scoped<Q extends { where(column: string, op: '=' | 'is', value: unknown): Q }>(query: Q, scope: Scope): Q {
    const live = query.where('tm_delete', 'is', null);
    return scope.customerId === undefined ? live : live.where(this.#spec.scopeColumn, '=', scope.customerId);
  }

  #now(): string {
    return isoNow(this.#clock);
  }
}
