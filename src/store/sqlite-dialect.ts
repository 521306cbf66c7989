import { CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type { DatabaseConnection, Dialect, Driver, QueryResult } from 'kysely';
import { HeldDriver } from './held-driver.ts';
import type { SqliteSession } from './sqlite-session.ts';

/** kysely's queries run on the session's one connection (prepared statements cached per SQL text). */
class SessionConnection implements DatabaseConnection {
  readonly #session: SqliteSession;

  constructor(session: SqliteSession) {
    this.#session = session;
  }

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.#session.statement(compiled.sql);
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(compiled.parameters as unknown[]) as R[] });
    const { changes, lastInsertRowid } = stmt.run(compiled.parameters as unknown[]);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  }

  // biome-ignore lint/correctness/useYield: kysely's Driver needs a stream; this one only refuses.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported by the embedded store');
  }
}

/** Queries outside a transaction wait for the connection at the session's gate. */
class GatedDriver implements Driver {
  readonly #session: SqliteSession;
  readonly #connection: SessionConnection;

  constructor(session: SqliteSession) {
    this.#session = session;
    this.#connection = new SessionConnection(session);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#session.acquire();
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    this.#session.release();
  }

  async destroy(): Promise<void> {
    this.#session.close();
  }
}

function dialectOf(driver: Driver): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => driver,
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}

/** The dialect of the store's own kysely: every query waits at the session's gate. */
export function gatedSqliteDialect(session: SqliteSession): Dialect {
  return dialectOf(new GatedDriver(session));
}

/** The dialect of `StoreTx.db` on SQLite: valid only while a session transaction runs. */
export function heldSqliteDialect(session: SqliteSession): Dialect {
  return dialectOf(new HeldDriver(new SessionConnection(session)));
}
