import type { DatabaseConnection, Driver } from 'kysely';

/**
 * A kysely driver inside one of the store's grouped transactions (SQLite's session, a PostgreSQL
 * lane): the connection is already held by the running transaction, so there is nothing to acquire
 * or release, and no transaction may be nested in it.
 */
export class HeldDriver implements Driver {
  readonly #connection: DatabaseConnection;

  constructor(connection: DatabaseConnection) {
    this.#connection = connection;
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
