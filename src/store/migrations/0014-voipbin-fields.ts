import type { Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** Each column on its own statement: SQLite adds one column per ALTER TABLE. */
const COLUMNS: readonly { table: string; column: string; default: string }[] = [
  // docs/voipbin-compatibility.md "Customers": a contact number and a postal address, stored and echoed.
  { table: 'customers', column: 'phone_number', default: '' },
  { table: 'customers', column: 'address', default: '' },
  { table: 'customers', column: 'metadata', default: '{}' },
  // docs/voipbin-compatibility.md "Numbers": `normal` or `virtual`, the message flow, metadata flags.
  { table: 'numbers', column: 'type', default: 'normal' },
  { table: 'numbers', column: 'message_flow_id', default: NIL_UUID },
  { table: 'numbers', column: 'metadata', default: '{}' },
  // docs/voipbin-compatibility.md "Flows": the flow named to run after this one, stored and echoed.
  { table: 'flows', column: 'on_complete_flow_id', default: NIL_UUID },
];

/**
 * The fields VoIPBIN's request forms carry on customers, numbers and flows
 * (docs/voipbin-compatibility.md), as text columns with the default every older row takes; the
 * `metadata` columns hold JSON text.
 */
export async function up(db: Db): Promise<void> {
  for (const c of COLUMNS) {
    await db.schema
      .alterTable(c.table)
      .addColumn(c.column, 'text', (col) => col.notNull().defaultTo(c.default))
      .execute();
  }
}

/** Drop the columns. */
export async function down(db: Db): Promise<void> {
  for (const c of [...COLUMNS].reverse()) await db.schema.alterTable(c.table).dropColumn(c.column).execute();
}
