import type { Kysely } from 'kysely';
import type { Database } from './database.ts';
import type { SqliteSession } from './sqlite-session.ts';

/** The webhook settings of a customer that decide where its events are delivered. */
export interface CustomerWebhook {
  webhook_uri: string;
  webhook_method: string;
  webhook_event_types: readonly string[];
}

const SELECT_SQL =
  'select webhook_uri, webhook_method, webhook_event_types from customers where id = ? and tm_delete is null';
const PARSED_MAX = 1000;

interface Row {
  webhook_uri: string;
  webhook_method: string;
  webhook_event_types: string;
}

/** Reads a customer's webhook settings inside a transaction (read once per published event). */
export class CustomerWebhooks {
  readonly #session: SqliteSession | undefined;
  /** Parsed event-type filters by their stored text: the same few values are read for every event. */
  readonly #parsed = new Map<string, readonly string[]>();

  constructor(session: SqliteSession | undefined) {
    this.#session = session;
  }

  /** The settings of live customer `customerId` through `db` (the transaction's handle), or undefined. */
  async read(db: Kysely<Database>, customerId: string): Promise<CustomerWebhook | undefined> {
    // On SQLite the transaction holds the one connection, so its prepared statement runs directly.
    const row = this.#session
      ? (this.#session.statement(SELECT_SQL).get(customerId) as Row | undefined)
      : await db
          .selectFrom('customers')
          .select(['webhook_uri', 'webhook_method', 'webhook_event_types'])
          .where('id', '=', customerId)
          .where('tm_delete', 'is', null)
          .executeTakeFirst();
    if (!row) return undefined;
    return {
      webhook_uri: row.webhook_uri,
      webhook_method: row.webhook_method,
      webhook_event_types: this.#types(row.webhook_event_types),
    };
  }

  #types(text: string): readonly string[] {
    let types = this.#parsed.get(text);
    if (!types) {
      if (this.#parsed.size >= PARSED_MAX) this.#parsed.clear();
      types = Object.freeze(JSON.parse(text) as string[]);
      this.#parsed.set(text, types);
    }
    return types;
  }
}
