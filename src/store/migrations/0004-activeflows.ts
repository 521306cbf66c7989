import { sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen history like 0001: untyped so later row types cannot change what this migration did.
type Db = Kysely<any>;

/**
 * The activeflows table: the columns lists filter and order on, plus `data`, the whole Activeflow
 * as JSON (the flows domain owns its shape; the store never interprets it beyond these columns).
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('activeflows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('flow_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reference_type', 'text', (c) => c.notNull())
    .addColumn('reference_id', 'text', (c) => c.notNull())
    .addColumn('tm_create', 'text', (c) => c.notNull())
    .addColumn('tm_update', 'text', (c) => c.notNull())
    .addColumn('tm_delete', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  // `GET /activeflows` orders by (tm_create desc, id desc) within a customer, optionally by status.
  await db.schema
    .createIndex('activeflows_list_idx')
    .on('activeflows')
    .columns(['customer_id', 'tm_create', 'id'])
    .execute();
  await db.schema
    .createIndex('activeflows_status_list_idx')
    .on('activeflows')
    .columns(['customer_id', 'status', 'tm_create', 'id'])
    .execute();
  await db.schema.createIndex('activeflows_reference_idx').on('activeflows').column('reference_id').execute();
  // Start-up reconciliation reads the few running activeflows among many ended ones.
  await db.schema
    .createIndex('activeflows_running_idx')
    .on('activeflows')
    .column('id')
    .where(sql<boolean>`status = 'running'`)
    .execute();
}

/** Drop everything `up` created. */
export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('activeflows').execute();
}
