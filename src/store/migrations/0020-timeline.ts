import { sql, type Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * The per-call timeline (docs/timeline.md "Storage"): one row per chunk, the entries of one
 * (customer, call, activeflow, conference) written by one flush. `id` is the chunk's smallest entry id
 * (a time-ordered UUIDv7), `tm_first`/`tm_last` its entries' earliest and latest `tm`, `count` how many
 * it holds and `data` their JSON array (`{id, tm, seq, kind, summary, data}` each). Read by one call's,
 * activeflow's or conference's id; few chunks have an activeflow or a conference besides their call, so
 * those two indexes hold only the rows that do. The retention purge walks `id`, so `tm` needs no index.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('timeline_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('activeflow_id', 'text', (c) => c.notNull())
    .addColumn('conference_id', 'text', (c) => c.notNull())
    .addColumn('tm_first', 'text', (c) => c.notNull())
    .addColumn('tm_last', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('timeline_entries_call_id_idx')
    .on('timeline_entries')
    .columns(['call_id', 'tm_first'])
    .execute();
  for (const column of ['activeflow_id', 'conference_id'])
    await db.schema
      .createIndex(`timeline_entries_${column}_idx`)
      .on('timeline_entries')
      .columns([column, 'tm_first'])
      .where(sql.ref(column), '<>', NIL_UUID)
      .execute();
}

/** Drop the table. */
export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('timeline_entries').execute();
}
