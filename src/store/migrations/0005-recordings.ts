import { sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen history like 0001: untyped so later row types cannot change what this migration did.
type Db = Kysely<any>;

/**
 * The recordings table: the columns lists filter and order on, plus `data`, the whole Recording as
 * JSON (the recordings domain owns its shape; the store never interprets it beyond these columns).
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('recordings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('reference_type', 'text', (c) => c.notNull())
    .addColumn('reference_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('tm_create', 'text', (c) => c.notNull())
    .addColumn('tm_update', 'text', (c) => c.notNull())
    .addColumn('tm_delete', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  // `GET /recordings` orders by (tm_create desc, id desc) within a customer, optionally by reference.
  await db.schema
    .createIndex('recordings_list_idx')
    .on('recordings')
    .columns(['customer_id', 'tm_create', 'id'])
    .execute();
  await db.schema
    .createIndex('recordings_reference_idx')
    .on('recordings')
    .columns(['customer_id', 'reference_id', 'tm_create', 'id'])
    .execute();
  // Start-up repair reads the few unfinished recordings among many ended ones.
  await db.schema
    .createIndex('recordings_unfinished_idx')
    .on('recordings')
    .column('id')
    .where(sql<boolean>`status <> 'ended'`)
    .execute();
}

/** Drop everything `up` created. */
export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('recordings').execute();
}
