import { sql, type Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * The per-call timeline (docs/timeline.md): one row per entry, `data` JSON text. Read by one call's,
 * activeflow's or conference's id in (tm, seq) order. Few entries have an activeflow or a conference
 * besides their call, so those two indexes hold only the rows that do (each insert updates fewer
 * B-trees); the retention purge deletes by `id`, which is time-ordered (UUIDv7), so `tm` needs no index.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('timeline_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('activeflow_id', 'text', (c) => c.notNull())
    .addColumn('conference_id', 'text', (c) => c.notNull())
    .addColumn('tm', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('timeline_entries_call_id_idx')
    .on('timeline_entries')
    .columns(['call_id', 'tm', 'seq', 'id'])
    .execute();
  for (const column of ['activeflow_id', 'conference_id'])
    await db.schema
      .createIndex(`timeline_entries_${column}_idx`)
      .on('timeline_entries')
      .columns([column, 'tm', 'seq', 'id'])
      .where(sql.ref(column), '<>', NIL_UUID)
      .execute();
}

/** Drop the table. */
export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('timeline_entries').execute();
}
