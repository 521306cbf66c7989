import { PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult } from 'kysely';
import type { PgLane } from './pg-session.ts';

/** kysely's queries inside a grouped transaction run on the session's held connection. */
class HeldConnection implements DatabaseConnection {
  readonly #session: PgLane;

  constructor(session: PgLane) {
    this.#session = session;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    // Unnamed: kysely's query shapes vary (lists, filters); the hot statements have named ones of their own.
    const { command, rowCount, rows } = await this.#session.query(compiled.sql, compiled.parameters, false);
    const changed = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return { rows: rows as R[], ...(changed ? { numAffectedRows: BigInt(rowCount ?? 0) } : {}) };
  }

  // biome-ignore lint/correctness/useYield: kysely's Driver needs a stream; this one only refuses.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported inside a store transaction');
  }
}

/** The connection is already held by the running transaction: no acquiring, no nesting. */
class HeldDriver implements Driver {
  readonly #connection: HeldConnection;

  constructor(session: PgLane) {
    this.#connection = new HeldConnection(session);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection;
  }

  async beginTransaction(): Promise<void> {
    throw new Error('a transaction cannot be nested in a store transaction');
  }

  async commitTransaction(): Promise<void> {}

  async rollbackTransaction(): Promise<void> {}

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}

/** The dialect of `StoreTx.db` on PostgreSQL: valid only while a grouped transaction runs. */
export function heldPostgresDialect(session: PgLane): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new HeldDriver(session),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}
