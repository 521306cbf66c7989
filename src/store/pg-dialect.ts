import { PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { CompiledQuery, DatabaseConnection, Dialect, QueryResult } from 'kysely';
import { HeldDriver } from './held-driver.ts';
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

/** The dialect of `StoreTx.db` on PostgreSQL: valid only while a grouped transaction runs. */
export function heldPostgresDialect(session: PgLane): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new HeldDriver(new HeldConnection(session)),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}
