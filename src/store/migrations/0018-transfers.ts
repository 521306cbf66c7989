import type { Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

/**
 * Durable transfers (docs/calls.md "Transfer"): one row per transfer, its API shape as JSON text in
 * `data`, with the columns the lookups need beside it — `GET /transfers/{id}` after a restart
 * (`id`, `customer_id`) and the start-up that ends the transfers a dead process left running
 * (`status`, `node_id`: the node that ran it, `''` outside a cluster).
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('transfers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('node_id', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('tm_create', 'text', (c) => c.notNull())
    .addColumn('tm_update', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('transfers_status_idx').on('transfers').columns(['status', 'node_id']).execute();
  await db.schema.createIndex('transfers_customer_idx').on('transfers').columns(['customer_id', 'tm_create']).execute();
}

/** Drop the table. */
export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('transfers').execute();
}
