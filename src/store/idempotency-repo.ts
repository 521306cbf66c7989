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

  /**
   * Reserve the key again over `prior`, a reservation left without a response (its process is
   * gone); false when the row changed meanwhile (another request took it over or it completed).
   */
  async takeOver(prior: IdempotencyRecord, record: IdempotencyRecord): Promise<boolean> {
    const result = await this.#db
      .updateTable('idempotency_records')
      .set({ request_hash: record.request_hash, status_code: 0, response_body: '', tm_create: record.tm_create })
      .where('credential_id', '=', prior.credential_id)
      .where('key', '=', prior.key)
      .where('status_code', '=', 0)
      .where('tm_create', '=', prior.tm_create)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Remove one record, freeing the key. */
  async release(credentialId: string, key: string): Promise<void> {
    await this.#db
      .deleteFrom('idempotency_records')
      .where('credential_id', '=', credentialId)
      .where('key', '=', key)
      .execute();
  }

  /** Delete records created before `iso`, at most `limit` of them when given (the retention purge loops in batches). */
  async purgeBefore(iso: string, limit?: number): Promise<number> {
    let query = this.#db.deleteFrom('idempotency_records').where('tm_create', '<', iso);
    if (limit !== undefined) {
      const batch = this.#db
        .selectFrom('idempotency_records')
        .select(['credential_id', 'key'])
        .where('tm_create', '<', iso)
        .limit(limit)
        .$asTuple('credential_id', 'key');
      query = query.where((eb) => eb(eb.refTuple('credential_id', 'key'), 'in', batch));
    }
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
