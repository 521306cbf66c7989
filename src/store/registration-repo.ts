import type { Kysely, Selectable } from 'kysely';
import { newId } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import type { NewRegistration, Registration, RegistrationRepo } from './types.ts';

/** A stored row with its Path (a JSON array of text, RFC 3327 §5.3) read back; anything else reads as none. */
function toRegistration(row: Selectable<Database['registrations']>): Registration {
  let path: unknown;
  try {
    path = JSON.parse(row.path);
  } catch {
    path = [];
  }
  return { ...row, path: Array.isArray(path) ? path.filter((p): p is string => typeof p === 'string') : [] };
}

/** SIP contact bindings, one row per (extension_id, contact). */
export class RegistrationTable implements RegistrationRepo {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** RFC 3261 §10.3 step 8: a REGISTER for a known contact refreshes that binding instead of adding one. */
  async upsert(binding: NewRegistration): Promise<Registration> {
    const now = new Date(this.#clock.now()).toISOString();
    const { id, path, ...fields } = binding;
    const storedPath = JSON.stringify(path ?? []);
    const row = await this.#db
      .insertInto('registrations')
      .values({ ...fields, path: storedPath, id: id ?? newId(), tm_create: now, tm_update: now })
      .onConflict((oc) =>
        oc.columns(['extension_id', 'contact']).doUpdateSet({
          customer_id: fields.customer_id,
          transport: fields.transport,
          source: fields.source,
          call_id: fields.call_id,
          cseq: fields.cseq,
          user_agent: fields.user_agent,
          tm_expire: fields.tm_expire,
          path: storedPath,
          tm_update: now,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRegistration(row);
  }

  /** Bindings still valid at `nowIso`, newest first. */
  async listForExtension(extensionId: string, nowIso: string): Promise<Registration[]> {
    const rows = await this.#db
      .selectFrom('registrations')
      .selectAll()
      .where('extension_id', '=', extensionId)
      .where('tm_expire', '>', nowIso)
      .orderBy('tm_create', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toRegistration);
  }

  /** Remove one binding (RFC 3261 §10.2.2: Expires 0). */
  async remove(extensionId: string, contact: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('registrations')
      .where('extension_id', '=', extensionId)
      .where('contact', '=', contact)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Delete bindings whose expiry is at or before `nowIso`. */
  async purgeExpired(nowIso: string): Promise<number> {
    const result = await this.#db.deleteFrom('registrations').where('tm_expire', '<=', nowIso).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
