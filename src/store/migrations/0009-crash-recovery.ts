import type { Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

/**
 * What a restarted process needs to end a call it finds live (docs/architecture.md, Calls):
 * - `call_dialogs`: the RFC 3261 §12 state of each confirmed dialog of a live call (Call-ID, tags,
 *   local CSeq, route set, remote target, where in-dialog requests go), written when the dialog is
 *   confirmed or changes and removed when it ends, so a BYE can be built without the dialog object;
 * - `process_heartbeats`: one row per running process, its start and the last time it was known
 *   alive — a crashed process's calls end at that time, and an `Idempotency-Key` it left reserved is
 *   free once no live process started before the reservation.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('call_dialogs')
    .addColumn('leg_id', 'text', (c) => c.primaryKey())
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('dialog', 'text', (c) => c.notNull())
    .addColumn('tm_update', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('call_dialogs_call_idx').on('call_dialogs').column('call_id').execute();
  await db.schema
    .createTable('process_heartbeats')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tm_start', 'text', (c) => c.notNull())
    .addColumn('tm_beat', 'text', (c) => c.notNull())
    .execute();
}

/** Drop everything `up` created. */
export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('process_heartbeats').execute();
  await db.schema.dropTable('call_dialogs').execute();
}
