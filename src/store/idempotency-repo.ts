import type { Kysely } from 'kysely';
import type { Database } from './database.ts';
import type { IdempotencyRecord, IdempotencyRepo } from './types.ts';

/** Idempotency records keyed by (credential_id, key). */
export class IdempotencyTable implements IdempotencyRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** The stored first response, or undefined. */
  async get(credentialId: string, key: string): Promise<IdempotencyRecord | undefined> {
    return this.#db
      .selectFrom('idempotency_records')
      .selectAll()
      .where('credential_id', '=', credentialId)
      .where('key', '=', key)
      .executeTakeFirst();
  }

  /** Insert unless the key exists; the primary key makes concurrent puts race-free. */
  async put(record: IdempotencyRecord): Promise<boolean> {
    const result = await this.#db
      .insertInto('idempotency_records')
      .values(record)
      .onConflict((oc) => oc.columns(['credential_id', 'key']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Record the response of a reserved key. */
  async complete(credentialId: string, key: string, statusCode: number, responseBody: string): Promise<void> {
    await this.#db
      .updateTable('idempotency_records')
      .set({ status_code: statusCode, response_body: responseBody })
      .where('credential_id', '=', credentialId)
      .where('key', '=', key)
      .execute();
  }

  /** Remove one record, freeing the key. */
  async release(credentialId: string, key: string): Promise<void> {
    await this.#db.deleteFrom('idempotency_records').where('credential_id', '=', credentialId).where('key', '=', key).execute();
  }

  /** Delete records created before `iso`. */
  async purgeBefore(iso: string): Promise<number> {
    const result = await this.#db.deleteFrom('idempotency_records').where('tm_create', '<', iso).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
