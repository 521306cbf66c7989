import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConflictError } from '../../shared/index.ts';
import type { Store } from '../../store/index.ts';

/** Random bytes of a direct hash: 96 bits, shown as 24 lowercase hex digits (docs/api.md "Direct addresses"). */
export const DIRECT_HASH_BYTES = 12;

/** A fresh direct hash from the system's cryptographic random source. */
export function newDirectHash(): string {
  return randomBytes(DIRECT_HASH_BYTES).toString('hex');
}

/**
 * `write(hash)` with a fresh hash, again with another one when the table's unique index of live
 * hashes refuses it (`ALREADY_EXISTS`; at 96 bits a collision is not expected, but it must not be a 500).
 */
export async function withFreshHash<T>(write: (hash: string) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write(newDirectHash());
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= 3) throw err;
    }
  }
}

/** The columns of `conferences` used here; `direct_hash` is not part of the stored conference's row type. */
interface ConferenceHashes {
  conferences: { id: string; customer_id: string; direct_hash: string; tm_delete: string | null };
}

// The column lives beside the conference's JSON document (migration 0016), which the conferences
// domain owns and rewrites on every change: it is read and written here only, by id.
const db = (store: Pick<Store, 'db'>): Kysely<ConferenceHashes> => store.db as unknown as Kysely<ConferenceHashes>;

/** The `direct_hash` of each of the conferences `ids` ('' for none); conferences not found are absent. */
export async function conferenceDirectHashes(
  store: Pick<Store, 'db'>,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db(store)
    .selectFrom('conferences')
    .select(['id', 'direct_hash'])
    .where('id', 'in', [...ids])
    .execute();
  return new Map(rows.map((r) => [r.id, r.direct_hash]));
}

/** The `direct_hash` of one conference, '' for none. */
export async function conferenceDirectHash(store: Pick<Store, 'db'>, id: string): Promise<string> {
  return (await conferenceDirectHashes(store, [id])).get(id) ?? '';
}

/** Gives the customer's live conference `id` a fresh direct hash; it, or undefined when there is no such conference. */
export async function regenerateConferenceHash(
  store: Pick<Store, 'db'>,
  id: string,
  customerId: string,
): Promise<string | undefined> {
  return withFreshHash(async (hash) => {
    try {
      const result = await db(store)
        .updateTable('conferences')
        .set({ direct_hash: hash })
        .where('id', '=', id)
        .where('customer_id', '=', customerId)
        .where('tm_delete', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1 ? hash : undefined;
    } catch (err) {
      throw isUniqueViolation(err) ? new ConflictError('ALREADY_EXISTS', 'direct hash taken') : err;
    }
  });
}

/** A unique violation of either driver (PostgreSQL 23505, SQLite's UNIQUE constraint). */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
