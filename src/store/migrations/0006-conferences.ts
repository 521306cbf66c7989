import type { Kysely } from 'kysely';

// Frozen history like 0001: untyped so later row types cannot change what this migration did.
type Db = Kysely<any>;

/**
 * The conferences and conferencecalls tables: the columns lists filter and order on, plus `data`,
 * the whole object as JSON (the conferences domain owns its shape).
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('conferences')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('tm_create', 'text', (c) => c.notNull())
    .addColumn('tm_update', 'text', (c) => c.notNull())
    .addColumn('tm_delete', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  // `GET /conferences` orders by (tm_create desc, id desc) within a customer.
  await db.schema
    .createIndex('conferences_list_idx')
    .on('conferences')
    .columns(['customer_id', 'tm_create', 'id'])
    .execute();
  await db.schema
    .createTable('conferencecalls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('conference_id', 'text', (c) => c.notNull())
    .addColumn('reference_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('tm_create', 'text', (c) => c.notNull())
    .addColumn('tm_update', 'text', (c) => c.notNull())
    .addColumn('tm_delete', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('conferencecalls_list_idx')
    .on('conferencecalls')
    .columns(['customer_id', 'tm_create', 'id'])
    .execute();
  await db.schema
    .createIndex('conferencecalls_conference_idx')
    .on('conferencecalls')
    .columns(['conference_id', 'tm_create', 'id'])
    .execute();
}

/** Drop everything `up` created. */
export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('conferencecalls').execute();
  await db.schema.dropTable('conferences').execute();
}
