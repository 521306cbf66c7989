import type { ClaimOptions, ClaimedDelivery, NewWebhookDelivery, SettleOptions } from './delivery-types.ts';
import { pendingDelivery } from './delivery-types.ts';
import { decodeDelivery } from './delivery-kysely.ts';
import type { PgRow, PgSession } from './pg-session.ts';
import type { WebhookDelivery } from './row-types.ts';
import { timeOrderedId } from './time-ordered-id.ts';

/** A parameterised statement on a transaction's connection (TxHandle.pgQuery). */
export type PgQuery = (text: string, values: readonly unknown[]) => Promise<{ rows: PgRow[] }>;

// One statement shape whatever the number of rows: the rows as arrays, unnested.
const ENQUEUE_SQL =
  'insert into webhook_deliveries (id, customer_id, event_id, resource_type, resource_id, seq, event_type, uri, method, status, attempts, ' +
  "last_status_code, last_error, latency_ms, next_attempt_at, lease_until, tm_create, tm_update) select r.*, 'pending', 0, 0, '', 0, $10::text, '', $10::text, $10::text " +
  'from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[]) as r';

// Every outcome of a round in one statement; only rows still leased (`delivering`) take one.
const RECORD_SQL =
  'update webhook_deliveries d set status = v.status, attempts = d.attempts + 1, last_status_code = v.code, ' +
  "last_error = v.error, latency_ms = v.latency, next_attempt_at = v.next, lease_until = '', tm_update = $7 " +
  'from unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[], $6::text[]) as v(id, status, code, error, latency, next) ' +
  "where d.id = v.id and d.status = 'delivering'";

// The leased rows with the event each carries.
const WITH_EVENTS =
  'select leased.*, e.type as e_type, e.tm_event as e_tm_event, e.data as e_data from leased ' +
  'left join outbox_events e on e.event_id = leased.event_id';

// The first unfinished delivery of each queue within its seq range, leased when it is pending and
// due. The status condition of the update makes the lease exclusive when several nodes share the
// database (a row another node leased meanwhile is skipped once that node's lease commits).
const LEASE_HEADS_SQL =
  'with looks as (select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) ' +
  'with ordinality as l(rt, rid, uri, method, after_seq, max_seq, n)), ' +
  'heads as (select h.id, l.n from looks l cross join lateral (select d.id, d.status, d.next_attempt_at from webhook_deliveries d ' +
  'where d.resource_type = l.rt and d.resource_id = l.rid and d.uri = l.uri and d.method = l.method ' +
  "and d.seq > l.after_seq and d.seq <= l.max_seq and d.status in ('pending', 'delivering') order by d.seq limit 1) h " +
  "where h.status = 'pending' and h.next_attempt_at <= $7), " +
  "leased as (update webhook_deliveries d set status = 'delivering', lease_until = $8, tm_update = $9 from heads " +
  "where d.id = heads.id and d.status = 'pending' returning d.*, heads.n) " +
  `${WITH_EVENTS} order by leased.n`;

// Due pending rows whose earlier seqs of the same resource and target are all finished, leased.
const CLAIM_SQL =
  "with candidates as (select d.id from webhook_deliveries d where d.status = 'pending' and d.next_attempt_at <= $1 " +
  'and not exists (select 1 from webhook_deliveries p where p.resource_type = d.resource_type and p.resource_id = d.resource_id ' +
  "and p.uri = d.uri and p.method = d.method and p.seq < d.seq and p.status in ('pending', 'delivering')) " +
  'order by d.next_attempt_at, d.seq limit $2), ' +
  "leased as (update webhook_deliveries d set status = 'delivering', lease_until = $3, tm_update = $4 from candidates " +
  "where d.id = candidates.id and d.status = 'pending' returning d.*) " +
  `${WITH_EVENTS} order by leased.next_attempt_at, leased.seq`;

/** Queue deliveries inside a transaction: one statement for all rows. */
export async function pgEnqueue(
  query: PgQuery,
  rows: readonly NewWebhookDelivery[],
  nowMs: number,
  now: string,
): Promise<WebhookDelivery[]> {
  const stored = rows.map((r) => pendingDelivery(r, timeOrderedId(nowMs), now));
  const column = <K extends keyof WebhookDelivery>(k: K): WebhookDelivery[K][] => stored.map((d) => d[k]);
  await query(ENQUEUE_SQL, [
    column('id'),
    column('customer_id'),
    column('event_id'),
    column('resource_type'),
    column('resource_id'),
    column('seq'),
    column('event_type'),
    column('uri'),
    column('method'),
    now,
  ]);
  return stored;
}

type LeasedRow = PgRow & { e_type: string | null; e_tm_event: string | null; e_data: string | null; n?: unknown };

function claimed(rows: readonly PgRow[]): ClaimedDelivery[] {
  return rows.map((r) => {
    const { e_type, e_tm_event, e_data, n: _n, ...row } = r as LeasedRow;
    const delivery = decodeDelivery(row as unknown as Parameters<typeof decodeDelivery>[0]);
    const event =
      e_type === null
        ? undefined
        : {
            type: e_type,
            event_id: delivery.event_id,
            seq: delivery.seq,
            tm_event: e_tm_event ?? '',
            data: e_data ?? 'null',
          };
    return { delivery, event };
  });
}

/**
 * The webhook worker's statements on PostgreSQL: a claim and each settle round are one grouped
 * transaction of a statement or two (outcomes, then the queue heads), sharing the commit of the
 * call path's transactions of the same moment; the leases are written, since every node's worker
 * shares the table. Each resolves only once committed: a queue's next delivery does not leave
 * before its predecessor's outcome is durable (per-resource order), and a lease is held by no one
 * else once its delivery is sent.
 */
export class PgDeliveries {
  readonly #session: PgSession;

  constructor(session: PgSession) {
    this.#session = session;
  }

  claim(opts: ClaimOptions, now: string): Promise<ClaimedDelivery[]> {
    return this.#session.transaction(async ({ lane }) => {
      const { rows } = await lane.query(CLAIM_SQL, [opts.nowIso, opts.limit, opts.leaseUntilIso, now]);
      return claimed(rows);
    });
  }

  settle(opts: SettleOptions, now: string): Promise<ClaimedDelivery[]> {
    return this.#session.transaction(async ({ lane }) => {
      const { outcomes, next } = opts;
      if (outcomes.length > 0) {
        await lane.query(RECORD_SQL, [
          outcomes.map((o) => o.id),
          outcomes.map((o) => o.attempt.status),
          outcomes.map((o) => o.attempt.status_code),
          outcomes.map((o) => o.attempt.error),
          outcomes.map((o) => Math.round(o.attempt.latency_ms)),
          outcomes.map((o) => o.attempt.next_attempt_at),
          now,
        ]);
      }
      if (next.length === 0) return [];
      const { rows } = await lane.query(LEASE_HEADS_SQL, [
        next.map((l) => l.key.resource_type),
        next.map((l) => l.key.resource_id),
        next.map((l) => l.key.uri),
        next.map((l) => l.key.method),
        next.map((l) => l.afterSeq ?? 0),
        next.map((l) => l.maxSeq ?? Number.MAX_SAFE_INTEGER),
        opts.nowIso,
        opts.leaseUntilIso,
        now,
      ]);
      return claimed(rows);
    });
  }
}
