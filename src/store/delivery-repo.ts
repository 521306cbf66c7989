import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import { InvalidStateError, ValidationError, newId } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import type { TxHandle } from './outbox-repo.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import type { ListOptions, Page, Scope } from './types.ts';

/** Where a delivery stands: `delivering` is leased by a worker, `failed` is final. */
export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'failed';

/** One webhook delivery of one event to one target, with its attempt log. */
export interface WebhookDelivery {
  id: string;
  customer_id: string;
  event_id: string;
  resource_type: string;
  resource_id: string;
  seq: number;
  event_type: string;
  uri: string;
  method: string;
  status: DeliveryStatus;
  attempts: number;
  /** HTTP status of the last attempt, 0 when none answered. */
  last_status_code: number;
  last_error: string;
  latency_ms: number;
  next_attempt_at: string;
  /** Until when a worker owns a `delivering` row; after that it goes back to pending. */
  lease_until: string;
  tm_create: string;
  tm_update: string;
}

/** A delivery as the publisher queues it. */
export type NewWebhookDelivery = Pick<
  WebhookDelivery,
  'customer_id' | 'event_id' | 'resource_type' | 'resource_id' | 'seq' | 'event_type' | 'uri' | 'method'
>;

/** The outcome of one attempt: `pending` schedules a retry at `next_attempt_at`. */
export interface DeliveryAttempt {
  status: 'delivered' | 'pending' | 'failed';
  status_code: number;
  error: string;
  latency_ms: number;
  next_attempt_at: string;
}

/** The durable delivery queue and log. */
export interface DeliveryRepo {
  /** Queue deliveries inside `tx`, due immediately. */
  enqueue(tx: TxHandle, rows: readonly NewWebhookDelivery[]): Promise<WebhookDelivery[]>;
  /**
   * Lease up to `limit` due pending deliveries whose earlier seqs of the same resource and target are
   * all delivered or failed; each is returned `delivering` until `leaseUntilIso`.
   */
  claimDue(opts: { nowIso: string; leaseUntilIso: string; limit: number }): Promise<WebhookDelivery[]>;
  /** Record the outcome of an attempt of a `delivering` row (attempts + 1). */
  record(id: string, attempt: DeliveryAttempt): Promise<WebhookDelivery | undefined>;
  /** Put `delivering` rows whose lease ended back to pending; returns how many. */
  releaseExpiredLeases(nowIso: string): Promise<number>;
  /** One delivery within the scope. */
  get(id: string, scope?: Scope): Promise<WebhookDelivery | undefined>;
  /** Deliveries newest first; filters `event_type`, `status`, `resource_id`, `event_id`. */
  list(opts: ListOptions): Promise<Page<WebhookDelivery>>;
  /** Queue a delivered or failed delivery again as a new attempt cycle; InvalidStateError otherwise. */
  redeliver(id: string, scope?: Scope): Promise<WebhookDelivery | undefined>;
}

const FILTERS = new Set(['event_type', 'status', 'resource_id', 'event_id']);
const MAX_PAGE_SIZE = 1000;
type StoredDelivery = Selectable<Database['webhook_deliveries']>;

function decode(row: StoredDelivery): WebhookDelivery {
  return {
    ...row,
    seq: Number(row.seq),
    attempts: Number(row.attempts),
    last_status_code: Number(row.last_status_code),
    latency_ms: Number(row.latency_ms),
  };
}

/** The delivery queue over `webhook_deliveries`. */
export class DeliveryTable implements DeliveryRepo {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async enqueue(tx: TxHandle, rows: readonly NewWebhookDelivery[]): Promise<WebhookDelivery[]> {
    if (rows.length === 0) return [];
    const now = this.#now();
    const values = rows.map((r) => ({
      ...r,
      id: newId(),
      status: 'pending' as const,
      attempts: 0,
      last_status_code: 0,
      last_error: '',
      latency_ms: 0,
      next_attempt_at: now,
      lease_until: '',
      tm_create: now,
      tm_update: now,
    }));
    const stored = await tx.db.insertInto('webhook_deliveries').values(values).returningAll().execute();
    return stored.map(decode);
  }

  async claimDue(opts: { nowIso: string; leaseUntilIso: string; limit: number }): Promise<WebhookDelivery[]> {
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
      .where('id', 'in', candidates.map((c) => c.id))
      .where('status', '=', 'pending')
      .returningAll()
      .execute();
    return rows.map(decode).sort((a, b) => a.next_attempt_at.localeCompare(b.next_attempt_at) || a.seq - b.seq);
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
    return row === undefined ? undefined : decode(row);
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

  async get(id: string, scope: Scope = {}): Promise<WebhookDelivery | undefined> {
    let query = this.#db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = await query.executeTakeFirst();
    return row === undefined ? undefined : decode(row);
  }

  async list(opts: ListOptions): Promise<Page<WebhookDelivery>> {
    const { pageSize } = opts;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw ValidationError.field('page_size', 'INVALID_PAGE_SIZE', `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    let query = this.#db.selectFrom('webhook_deliveries').selectAll();
    if (opts.customerId !== undefined) query = query.where('customer_id', '=', opts.customerId);
    for (const [column, value] of Object.entries(opts.filter ?? {})) {
      if (!FILTERS.has(column)) throw ValidationError.field(column, 'INVALID_FILTER', `webhook_deliveries cannot be filtered by ${column}`);
      query = query.where(column as 'event_type', '=', value);
    }
    if (opts.pageToken) {
      const after = decodePageToken(opts.pageToken);
      query = query.where((eb) =>
        eb.or([eb('tm_create', '<', after.tmCreate), eb.and([eb('tm_create', '=', after.tmCreate), eb('id', '<', after.id)])]),
      );
    }
    const rows = await query.orderBy('tm_create', 'desc').orderBy('id', 'desc').limit(pageSize + 1).execute();
    const items = rows.slice(0, pageSize).map(decode);
    const last = items[items.length - 1];
    const nextPageToken = rows.length > pageSize && last ? encodePageToken({ tmCreate: last.tm_create, id: last.id }) : '';
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
    if (!row) throw new InvalidStateError(`webhook delivery ${id} is ${current.status}; only delivered or failed ones can be redelivered`, 'DELIVERY_IN_PROGRESS');
    return decode(row);
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}
