import { sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen history like 0001: untyped so later row types cannot change what this migration did.
type Db = Kysely<any>;

/**
 * The calls table: the columns lists filter and order on, plus `data`, the whole Call object as JSON
 * (the domain owns its shape; the store never interprets it beyond these columns).
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('master_call_id', 'text', (c) => c.notNull())
    .addColumn('tm_create', 'text', (c) => c.notNull())
    .addColumn('tm_update', 'text', (c) => c.notNull())
    .addColumn('tm_delete', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  // `GET /calls` orders by (tm_create desc, id desc) within a customer, optionally filtered by one column.
  await db.schema.createIndex('calls_list_idx').on('calls').columns(['customer_id', 'tm_create', 'id']).execute();
  await db.schema
    .createIndex('calls_status_list_idx')
    .on('calls')
    .columns(['customer_id', 'status', 'tm_create', 'id'])
    .execute();
  await db.schema
    .createIndex('calls_direction_list_idx')
    .on('calls')
    .columns(['customer_id', 'direction', 'tm_create', 'id'])
    .execute();
  await db.schema.createIndex('calls_master_idx').on('calls').column('master_call_id').execute();
  // Start-up reconciliation reads the few live calls among many hung-up ones.
  await db.schema
    .createIndex('calls_live_idx')
    .on('calls')
    .column('id')
    .where(sql<boolean>`status <> 'hangup'`)
    .execute();
}

/** Drop everything `up` created. */
export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('calls').execute();
}
