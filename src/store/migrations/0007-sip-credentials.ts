import type { Kysely } from 'kysely';
import { extensionDigestHa1 } from '../extension-credentials.ts';

// Migrations are frozen history once shipped: untyped Kysely, see 0001-foundation.ts.
type Db = Kysely<any>;

interface ExtensionRow {
  id: string;
  customer_id: string;
  extension: string;
  username: string;
  domain_name: string;
  password: string;
}

/**
 * SIP digest credentials stored as HA1 values (RFC 7616 §3.4.2), never in clear: `digest_ha1`
 * (JSON) holds MD5 and SHA-256 HA1s per username and realm the extension answers in, computed
 * from the plaintext of every row (deleted ones too), whose `password` is then blanked.
 */
export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('extensions').addColumn('digest_ha1', 'text').execute();
  const rows = (await db
    .selectFrom('extensions')
    .select(['id', 'customer_id', 'extension', 'username', 'domain_name', 'password'])
    .where('password', '<>', '')
    .execute()) as ExtensionRow[];
  for (const row of rows) {
    await db
      .updateTable('extensions')
      .set({ digest_ha1: JSON.stringify(extensionDigestHa1(row, row.password)), password: '' })
      .where('id', '=', row.id)
      .execute();
  }
}

/** The plaintext cannot come back: extensions keep blank passwords and need new ones. */
export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('extensions').dropColumn('digest_ha1').execute();
}
