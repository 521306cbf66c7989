import type { Kysely } from 'kysely';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

/** what a restarted process needs to end a call it finds live. */
export async function up(_db: Db): Promise<void> {
  // filled in by the change that needs it
}

export async function down(_db: Db): Promise<void> {
  // nothing to undo
}
