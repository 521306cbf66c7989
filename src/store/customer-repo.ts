import type { Kysely } from 'kysely';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import { TableRepo } from './table-repo.ts';
import type { RawQuery, TableSpec } from './table-repo.ts';
import type { Customer, Scope } from './types.ts';

/**
 * The tables whose rows belong to one customer and go with it (docs/security.md "Deleting a
 * customer"): its numbers stop answering and are free for another customer at once, its
 * extensions stop registering, its credentials stop authenticating.
 */
export const CUSTOMER_OWNED_TABLES = [
  'accesskeys',
  'users',
  'flows',
  'numbers',
  'extensions',
  'routes',
  'providers',
] as const;

/**
 * Customers; deleting one soft-deletes everything it owns and drops its SIP bindings in the same
 * transaction, so no lookup (API key, login, number, REGISTER, INVITE) finds any of it afterwards.
 */
export class CustomerTable extends TableRepo<Customer> {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  /** Drops the row caches of the repositories whose rows the cascade deletes. */
  readonly #forgetOwned: () => void;

  constructor(
    db: Kysely<Database>,
    clock: Clock,
    spec: TableSpec<Customer>,
    raw: RawQuery | undefined,
    forgetOwned: () => void,
  ) {
    super(db, clock, spec, raw);
    this.#db = db;
    this.#clock = clock;
    this.#forgetOwned = forgetOwned;
  }

  override async delete(id: string, scope: Scope = {}): Promise<Customer | undefined> {
    if (scope.customerId !== undefined && scope.customerId !== id) return undefined;
    const now = new Date(this.#clock.now()).toISOString();
    const row = await this.#db.transaction().execute(async (trx) => {
      const deleted = await trx
        .updateTable('customers')
        .set({ tm_delete: now })
        .where('id', '=', id)
        .where('tm_delete', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (deleted === undefined) return undefined;
      for (const table of CUSTOMER_OWNED_TABLES) {
        let query = trx
          .updateTable(table)
          .set({ tm_delete: now })
          .where('customer_id', '=', id)
          .where('tm_delete', 'is', null);
        // The project admin's credentials are never the customer's to lose (docs/security.md).
        if (table === 'accesskeys' || table === 'users') query = query.where('role', '<>', 'admin');
        await query.execute();
      }
      await trx.deleteFrom('registrations').where('customer_id', '=', id).execute();
      return deleted;
    });
    this.forgetCachedRows();
    this.#forgetOwned();
    return row === undefined ? undefined : this.decode(row as unknown as Record<string, unknown>);
  }
}
