import type { Kysely } from 'kysely';
import type { Database } from './database.ts';

/** A row of `shared_secrets` (migration 0012). */
interface SecretRow {
  name: string;
  value: string;
  tm_create: string;
}

/** Keys every node of a cluster shares (docs/cluster.md "What is shared and what is per node"). */
export interface SharedSecretRepo {
  /**
   * The secret called `name`: the one stored, or `make()` stored now. When several nodes start at once
   * the first insert wins and every node returns that one.
   */
  getOrCreate(name: string, make: () => string, nowIso: string): Promise<string>;
}

/** The SharedSecretRepo over `shared_secrets` (both dialects). */
export class SharedSecretTable implements SharedSecretRepo {
  // The table is not in the Database type of migration 0001.
  readonly #db: Kysely<any>;

  constructor(db: Kysely<Database>) {
    this.#db = db as unknown as Kysely<any>;
  }

  async getOrCreate(name: string, make: () => string, nowIso: string): Promise<string> {
    await this.#db
      .insertInto('shared_secrets')
      .values({ name, value: make(), tm_create: nowIso })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = (await this.#db
      .selectFrom('shared_secrets')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirstOrThrow()) as SecretRow;
    return row.value;
  }
}
