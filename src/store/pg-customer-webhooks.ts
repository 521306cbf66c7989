import type { CustomerWebhook } from './customer-webhooks.ts';
import type { PgQuery } from './pg-deliveries.ts';

const SELECT_SQL =
  'select webhook_uri, webhook_method, webhook_event_types from customers where id = $1 and tm_delete is null';
const PARSED_MAX = 1000;

/** CustomerWebhooks' read on PostgreSQL: a named prepared statement on the transaction's connection. */
export class PgCustomerWebhooks {
  /** Parsed event-type filters by their stored text: the same few values are read for every event. */
  readonly #parsed = new Map<string, readonly string[]>();

  async read(query: PgQuery, customerId: string): Promise<CustomerWebhook | undefined> {
    const row = (await query(SELECT_SQL, [customerId])).rows[0] as Record<string, string> | undefined;
    if (!row) return undefined;
    return {
      webhook_uri: String(row.webhook_uri),
      webhook_method: String(row.webhook_method),
      webhook_event_types: this.#types(String(row.webhook_event_types)),
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
