import type { Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

/**
 * A customer's music on hold (docs/calls.md "Music on hold"): `moh_url`, an http(s) WAV or MP3 a
 * held call of the customer hears; '' (every older row) plays the built-in music.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .alterTable('customers')
    .addColumn('moh_url', 'text', (col) => col.notNull().defaultTo(''))
    .execute();
}

/** Drop the column. */
export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('customers').dropColumn('moh_url').execute();
}
