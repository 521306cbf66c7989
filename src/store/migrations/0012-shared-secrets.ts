import type { Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

/**
 * `shared_secrets`: the keys every node of a cluster must share (docs/cluster.md "What is shared and
 * what is per node"): the signing key of login tokens and the SIP digest nonce key, so a token issued
 * by one node is honoured by every other. One process on SQLite keeps its keys in its data directory.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('shared_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('tm_create', 'text', (c) => c.notNull())
    .execute();
}

/** Drop everything `up` created. */
export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('shared_secrets').execute();
}
