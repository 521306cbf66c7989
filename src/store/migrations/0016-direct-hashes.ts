import { sql } from 'kysely';
import type { Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

/** The tables whose rows can be reached at `sip:direct.<hash>@<customer domain>` (docs/api.md "Direct addresses"). */
const TABLES = ['flows', 'extensions', 'conferences'] as const;

// A hash belongs to one live row; '' (none yet) may repeat.
const liveHash = sql<boolean>`tm_delete is null and direct_hash <> ''`;

/**
 * A `direct_hash` column on flows, extensions and conferences (for conferences beside the JSON
 * `data`, which the conferences domain owns), `''` on every older row until it is regenerated, and
 * a partial unique index per table that also makes the SIP lookup by hash one index probe.
 */
export async function up(db: Db): Promise<void> {
  for (const table of TABLES) {
    await db.schema
      .alterTable(table)
      .addColumn('direct_hash', 'text', (col) => col.notNull().defaultTo(''))
      .execute();
    await db.schema
      .createIndex(`${table}_direct_hash_live_key`)
      .on(table)
      .column('direct_hash')
      .unique()
      .where(liveHash)
      .execute();
  }
}

/** Drop the indexes and the columns. */
export async function down(db: Db): Promise<void> {
  for (const table of [...TABLES].reverse()) {
    await db.schema.dropIndex(`${table}_direct_hash_live_key`).execute();
    await db.schema.alterTable(table).dropColumn('direct_hash').execute();
  }
}
