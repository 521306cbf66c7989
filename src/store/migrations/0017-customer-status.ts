import type { Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

/**
 * A customer's status and when it was frozen (docs/api.md "Freezing a customer"). Both are null
 * until a customer is first frozen, so every older row and every new one reads as `active` and
 * comes back from the store as it was written. Each column on its own statement, as SQLite adds one
 * column per ALTER TABLE.
 */
export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('customers').addColumn('status', 'text').execute();
  await db.schema.alterTable('customers').addColumn('tm_deletion_scheduled', 'text').execute();
}

/** Drop the columns. */
export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('customers').dropColumn('tm_deletion_scheduled').execute();
  await db.schema.alterTable('customers').dropColumn('status').execute();
}
