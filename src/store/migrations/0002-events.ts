import { PostgresAdapter } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen history like 0001: untyped so later row types cannot change what this migration did.
type Db = Kysely<any>;

async function createOutbox(db: Db): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  // The position is the global commit-independent order used to resume a stream after an event id.
  await db.schema
    .createTable('outbox_events')
    .addColumn('position', postgres ? 'bigserial' : 'integer', (c) =>
      postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('event_id', 'text', (c) => c.notNull().unique())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('tm_event', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addUniqueConstraint('outbox_events_resource_seq_key', ['resource_type', 'resource_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('outbox_events_customer_position_idx')
    .on('outbox_events')
    .columns(['customer_id', 'position'])
    .execute();
  await db.schema.createIndex('outbox_events_tm_event_idx').on('outbox_events').column('tm_event').execute();

  // One counter row per resource: an upsert on it serialises concurrent appends to one resource.
  await db.schema
    .createTable('outbox_sequences')
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('last_seq', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('outbox_sequences_pkey', ['resource_type', 'resource_id'])
    .execute();
}

async function createDeliveries(db: Db): Promise<void> {
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('uri', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('last_status_code', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text', (c) => c.notNull())
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text', (c) => c.notNull())
    .addColumn('tm_create', 'text', (c) => c.notNull())
    .addColumn('tm_update', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_order_idx')
    .on('webhook_deliveries')
    .columns(['resource_type', 'resource_id', 'uri', 'method', 'seq'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_list_idx')
    .on('webhook_deliveries')
    .columns(['customer_id', 'tm_create', 'id'])
    .execute();
}

/** The event outbox, its per-resource sequence counters and the webhook delivery log. */
export async function up(db: Db): Promise<void> {
  await createOutbox(db);
  await createDeliveries(db);
}

/** Drop everything `up` created. */
export async function down(db: Db): Promise<void> {
  for (const table of ['webhook_deliveries', 'outbox_sequences', 'outbox_events'])
    await db.schema.dropTable(table).execute();
}
