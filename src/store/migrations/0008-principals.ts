import { sql } from 'kysely';
import type { Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

const NIL = '00000000-0000-0000-0000-000000000000';
const live = sql<boolean>`tm_delete is null`;

/**
 * The project admin as its own principal, per-customer usernames, token revocation:
 * - admin keys and users move out of the `default` customer into the project scope (customer_id is
 *   the nil UUID) and remember the customer they act for in `acting_customer_id`, so no credential
 *   of that customer can see, change or delete them;
 * - usernames are unique per customer instead of platform-wide;
 * - `users.password_version`, carried in login tokens, revokes them when the password changes.
 */
export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('accesskeys').addColumn('acting_customer_id', 'text').execute();
  await db.schema.alterTable('users').addColumn('acting_customer_id', 'text').execute();
  await db.schema
    .alterTable('users')
    .addColumn('password_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  for (const table of ['accesskeys', 'users']) {
    // Deleted rows too: they still tell which customer the admin acts for.
    await db
      .updateTable(table)
      .set({ acting_customer_id: sql`customer_id`, customer_id: NIL })
      .where('role', '=', 'admin')
      .where('customer_id', '<>', NIL)
      .execute();
  }
  await db.schema.dropIndex('users_username_live_key').execute();
  await db.schema
    .createIndex('users_customer_username_live_key')
    .on('users')
    .columns(['customer_id', 'username'])
    .unique()
    .where(live)
    .execute();
}

/** Back to platform-wide usernames and admin rows of the customer they act for. */
export async function down(db: Db): Promise<void> {
  await db.schema.dropIndex('users_customer_username_live_key').execute();
  for (const table of ['accesskeys', 'users']) {
    await db
      .updateTable(table)
      .set({ customer_id: sql`acting_customer_id` })
      .where('customer_id', '=', NIL)
      .where('acting_customer_id', 'is not', null)
      .execute();
  }
  await db.schema.createIndex('users_username_live_key').on('users').column('username').unique().where(live).execute();
  await db.schema.alterTable('users').dropColumn('password_version').execute();
  await db.schema.alterTable('users').dropColumn('acting_customer_id').execute();
  await db.schema.alterTable('accesskeys').dropColumn('acting_customer_id').execute();
}
