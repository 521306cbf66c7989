import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { InvalidStateError, ValidationError } from '../shared/index.ts';
import { isoNow, type Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import { SqliteDeliveries } from './delivery-sqlite.ts';
import { claimWithEvents, decodeDelivery, settleWithKysely } from './delivery-kysely.ts';
import type { TxHandle } from './outbox-repo.ts';
import { PgDeliveries, pgEnqueue } from './pg-deliveries.ts';
import type { PgSession } from './pg-session.ts';
import type { SqliteSession } from './sqlite-session.ts';
import { timeOrderedId } from './time-ordered-id.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import type { ListOptions, Page, Scope } from './types.ts';
import type {
  ClaimOptions,
  ClaimedDelivery,
  DeliveryAttempt,
  DeliveryRepo,
  NewWebhookDelivery,
  SettleOptions,
} from './delivery-types.ts';
import type { WebhookDelivery } from './row-types.ts';
import { pendingDelivery } from './delivery-types.ts';

export type {
  ClaimOptions,
  ClaimedDelivery,
  ClaimedEvent,
  DeliveryAttempt,
  DeliveryKey,
  DeliveryRepo,
  NewWebhookDelivery,
  QueueLook,
  RecordedAttempt,
  SettleOptions,
} from './delivery-types.ts';

const FILTERS = new Set(['event_type', 'status', 'resource_id', 'event_id']);
const MAX_PAGE_SIZE = 1000;

/** The delivery queue over `webhook_deliveries`. */
export class DeliveryTable implements DeliveryRepo {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #sqlite: SqliteDeliveries | undefined;
  readonly #pg: PgDeliveries | undefined;

  /** `pg`: PostgreSQL's grouped transactions, for the worker's claim and settle rounds. */
  constructor(db: Kysely<Database>, clock: Clock, session?: SqliteSession, pg?: PgSession) {
    this.#db = db;
    this.#clock = clock;
    this.#sqlite = session ? new SqliteDeliveries(session) : undefined;
    this.#pg = pg ? new PgDeliveries(pg) : undefined;
  }

  async enqueue(tx: TxHandle, rows: readonly NewWebhookDelivery[]): Promise<WebhookDelivery[]> {
    if (rows.length === 0) return [];
    const nowMs = this.#clock.now();
    const now = new Date(nowMs).toISOString();
    if (this.#sqlite) return this.#sqlite.enqueue(rows, nowMs, now);
    if (tx.pgQuery) return pgEnqueue(tx.pgQuery, rows, nowMs, now);
    const values = rows.map((r) => pendingDelivery(r, timeOrderedId(nowMs), now));
    const stored = await tx.db.insertInto('webhook_deliveries').values(values).returningAll().execute();
    return stored.map(decodeDelivery);
  }

  async claimDue(opts: ClaimOptions): Promise<WebhookDelivery[]> {
    const candidates = await this.#db
      .selectFrom('webhook_deliveries as d')
      .select('d.id')
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', opts.nowIso)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_deliveries as p')
              .select(sql<number>`1`.as('one'))
              .whereRef('p.resource_type', '=', 'd.resource_type')
              .whereRef('p.resource_id', '=', 'd.resource_id')
              .whereRef('p.uri', '=', 'd.uri')
              .whereRef('p.method', '=', 'd.method')
              .whereRef('p.seq', '<', 'd.seq')
              .where('p.status', 'in', ['pending', 'delivering']),
          ),
        ),
      )
      .orderBy('d.next_attempt_at', 'asc')
      .orderBy('d.seq', 'asc')
      .limit(opts.limit)
      .execute();
    if (candidates.length === 0) return [];
    // The status condition makes the claim exclusive when several workers share a database.
    const rows = await this.#db
      .updateTable('webhook_deliveries')
      .set({ status: 'delivering', lease_until: opts.leaseUntilIso, tm_update: this.#now() })
      .where(
        'id',
        'in',
        candidates.map((c) => c.id),
      )
      .where('status', '=', 'pending')
      .returningAll()
      .execute();
    return rows.map(decodeDelivery).sort((a, b) => a.next_attempt_at.localeCompare(b.next_attempt_at) || a.seq - b.seq);
  }

  async claimDueWithEvents(opts: ClaimOptions): Promise<ClaimedDelivery[]> {
    if (this.#sqlite) return this.#sqlite.claim(opts);
    if (this.#pg) return this.#pg.claim(opts, this.#now());
    return claimWithEvents(this.#db, await this.claimDue(opts));
  }

  async settle(opts: SettleOptions): Promise<ClaimedDelivery[]> {
    if (this.#sqlite) return this.#sqlite.settle(opts, this.#now());
    if (this.#pg) return this.#pg.settle(opts, this.#now());
    for (const { id, attempt } of opts.outcomes) await this.record(id, attempt);
    return settleWithKysely(this.#db, opts, this.#now());
  }

  async record(id: string, attempt: DeliveryAttempt): Promise<WebhookDelivery | undefined> {
    const row = await this.#db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        status: attempt.status,
        attempts: eb('attempts', '+', 1),
        last_status_code: attempt.status_code,
        last_error: attempt.error,
        latency_ms: Math.round(attempt.latency_ms),
        next_attempt_at: attempt.next_attempt_at,
        lease_until: '',
        tm_update: this.#now(),
      }))
      .where('id', '=', id)
      .where('status', '=', 'delivering')
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : decodeDelivery(row);
  }

  async releaseExpiredLeases(nowIso: string): Promise<number> {
    const result = await this.#db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', lease_until: '', tm_update: this.#now() })
      .where('status', '=', 'delivering')
      .where('lease_until', '<', nowIso)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async releaseLeasesTakenBy(iso: string): Promise<number> {
    // A lease stamps tm_update (claimDue, settle); nothing else changes a `delivering` row but its outcome.
    const result = await this.#db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', lease_until: '', tm_update: this.#now() })
      .where('status', '=', 'delivering')
      .where('tm_update', '<=', iso)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async get(id: string, scope: Scope = {}): Promise<WebhookDelivery | undefined> {
    let query = this.#db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = await query.executeTakeFirst();
    return row === undefined ? undefined : decodeDelivery(row);
  }

  async list(opts: ListOptions): Promise<Page<WebhookDelivery>> {
    const { pageSize } = opts;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw ValidationError.field(
        'page_size',
        'INVALID_PAGE_SIZE',
        `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`,
      );
    }
    let query = this.#db.selectFrom('webhook_deliveries').selectAll();
    if (opts.customerId !== undefined) query = query.where('customer_id', '=', opts.customerId);
    for (const [column, value] of Object.entries(opts.filter ?? {})) {
      if (!FILTERS.has(column))
        throw ValidationError.field(column, 'INVALID_FILTER', `webhook_deliveries cannot be filtered by ${column}`);
      query = query.where(column as 'event_type', '=', value);
    }
    if (opts.pageToken) {
      const after = decodePageToken(opts.pageToken);
      query = query.where((eb) =>
        eb.or([
          eb('tm_create', '<', after.tmCreate),
          eb.and([eb('tm_create', '=', after.tmCreate), eb('id', '<', after.id)]),
        ]),
      );
    }
    const rows = await query
      .orderBy('tm_create', 'desc')
      .orderBy('id', 'desc')
      .limit(pageSize + 1)
      .execute();
    const items = rows.slice(0, pageSize).map(decodeDelivery);
    const last = items[items.length - 1];
    const nextPageToken =
      rows.length > pageSize && last ? encodePageToken({ tmCreate: last.tm_create, id: last.id }) : '';
    return { items, nextPageToken };
  }

  async redeliver(id: string, scope: Scope = {}): Promise<WebhookDelivery | undefined> {
    const current = await this.get(id, scope);
    if (!current) return undefined;
    const now = this.#now();
    const row = await this.#db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now, lease_until: '', tm_update: now })
      .where('id', '=', id)
      .where('status', 'in', ['delivered', 'failed'])
      .returningAll()
      .executeTakeFirst();
    if (!row)
      throw new InvalidStateError(
        `webhook delivery ${id} is ${current.status}; only delivered or failed ones can be redelivered`,
        'DELIVERY_IN_PROGRESS',
      );
    return decodeDelivery(row);
  }

  async purgeBefore(iso: string, limit: number): Promise<number> {
    const batch = this.#db
      .selectFrom('webhook_deliveries as d')
      .select('d.id')
      .where('d.tm_create', '<', iso)
      .where((eb) =>
        eb.or([
          eb('d.status', 'in', ['delivered', 'failed']),
          eb.not(
            eb.exists(
              eb
                .selectFrom('outbox_events as e')
                .select(sql<number>`1`.as('one'))
                .whereRef('e.event_id', '=', 'd.event_id')
                .where('e.tm_event', '>=', iso),
            ),
          ),
        ]),
      )
      .limit(limit);
    const result = await this.#db.deleteFrom('webhook_deliveries').where('id', 'in', batch).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  #now(): string {
    return isoNow(this.#clock);
  }
}
