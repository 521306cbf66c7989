import { sql } from 'kysely';
import type { Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

/**
 * Indexes for the retention purge (store/retention.ts), which deletes rows older than the retention
 * window in small batches. `outbox_events.tm_event` and `idempotency_records.tm_create` are indexed
 * already (0001, 0002); the delivery log was indexed only per customer, and soft-deleted calls and
 * activeflows are found through partial indexes that hold only the few deleted rows.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createIndex('webhook_deliveries_tm_create_idx')
    .on('webhook_deliveries')
    .column('tm_create')
    .execute();
  for (const table of ['calls', 'activeflows']) {
    await db.schema
      .createIndex(`${table}_deleted_idx`)
      .on(table)
      .column('tm_delete')
      .where(sql<boolean>`tm_delete is not null`)
      .execute();
  }
}

/** Drop everything `up` created. */
export async function down(db: Db): Promise<void> {
  for (const index of ['activeflows_deleted_idx', 'calls_deleted_idx', 'webhook_deliveries_tm_create_idx'])
    await db.schema.dropIndex(index).execute();
}
