import { PostgresAdapter, sql } from 'kysely';
import type { Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** The fields a call gained with groupcalls, as JSON text appended to a stored call's object. */
const CALL_FIELDS = `,"groupcall_id":"${NIL_UUID}","owner_type":"","owner_id":"${NIL_UUID}"}`;

/**
 * Groupcalls (docs/api.md "Groupcalls"): the columns lists filter and order on, the node that runs
 * the groupcall (docs/cluster.md), and `data`, the whole object as JSON. Calls stored before carry
 * the new call fields (`groupcall_id`, `owner_type`, `owner_id`) from now on, with their empty values.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('groupcalls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('node_id', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('tm_create', 'text', (c) => c.notNull())
    .addColumn('tm_update', 'text', (c) => c.notNull())
    .addColumn('tm_delete', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  // `GET /groupcalls` orders by (tm_create desc, id desc) within a customer.
  await db.schema
    .createIndex('groupcalls_list_idx')
    .on('groupcalls')
    .columns(['customer_id', 'tm_create', 'id'])
    .execute();
  // Start-up reconciliation reads the few live groupcalls among many ended ones.
  await db.schema
    .createIndex('groupcalls_live_idx')
    .on('groupcalls')
    .column('node_id')
    .where(sql<boolean>`status <> 'hangup'`)
    .execute();
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const lacksField = postgres
    ? sql`(data::jsonb -> 'groupcall_id') is null`
    : sql`json_extract(data, '$.groupcall_id') is null`;
  await sql`update calls set data = substr(data, 1, length(data) - 1) || ${CALL_FIELDS}
    where data like '%}' and ${lacksField}`.execute(db);
}

/** Drop the table; the call fields stay (later code shows them, earlier code ignores them). */
export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('groupcalls').execute();
}
