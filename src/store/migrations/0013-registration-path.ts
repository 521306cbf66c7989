import type { Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

/**
 * A binding keeps the Path header values of its REGISTER (RFC 3327 §5.3) as a JSON array: the
 * route set of requests to the contact, such as the SIP edge holding the phone's connection
 * (docs/cluster.md). '[]' for every binding written before.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .alterTable('registrations')
    .addColumn('path', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
}

/** Drop the column. */
export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('registrations').dropColumn('path').execute();
}
