import type { Kysely, Selectable } from 'kysely';
import type { Database } from './database.ts';
import type { ClaimedDelivery, ClaimedEvent, QueueLook, SettleOptions } from './delivery-types.ts';
import type { WebhookDelivery } from './row-types.ts';

/** A stored row as the public type (pg returns integers of some drivers as strings). */
export function decodeDelivery(row: Selectable<Database['webhook_deliveries']>): WebhookDelivery {
  return {
    ...row,
    seq: Number(row.seq),
    attempts: Number(row.attempts),
    last_status_code: Number(row.last_status_code),
    latency_ms: Number(row.latency_ms),
  };
}

/** The stored events of `leased`, each paired with its delivery (PostgreSQL path of the worker's reads). */
export async function claimWithEvents(
  db: Kysely<Database>,
  leased: readonly WebhookDelivery[],
): Promise<ClaimedDelivery[]> {
  if (leased.length === 0) return [];
  const events = await db
    .selectFrom('outbox_events')
    .select(['event_id', 'type', 'seq', 'tm_event', 'data'])
    .where('event_id', 'in', [...new Set(leased.map((d) => d.event_id))])
    .execute();
  const byId = new Map<string, ClaimedEvent>(events.map((e) => [e.event_id, { ...e, seq: Number(e.seq) }]));
  return leased.map((delivery) => ({ delivery, event: byId.get(delivery.event_id) }));
}

async function leaseHead(
  db: Kysely<Database>,
  { key, maxSeq, afterSeq }: QueueLook,
  opts: SettleOptions,
  now: string,
): Promise<WebhookDelivery | undefined> {
  let query = db
    .selectFrom('webhook_deliveries')
    .select(['id', 'status', 'next_attempt_at'])
    .where('resource_type', '=', key.resource_type)
    .where('resource_id', '=', key.resource_id)
    .where('uri', '=', key.uri)
    .where('method', '=', key.method)
    .where('status', 'in', ['pending', 'delivering']);
  if (maxSeq !== undefined) query = query.where('seq', '<=', maxSeq);
  if (afterSeq !== undefined) query = query.where('seq', '>', afterSeq);
  const head = await query.orderBy('seq', 'asc').limit(1).executeTakeFirst();
  if (head?.status !== 'pending' || head.next_attempt_at > opts.nowIso) return undefined;
  // The status condition makes the lease exclusive when several workers share the database.
  const row = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'delivering', lease_until: opts.leaseUntilIso, tm_update: now })
    .where('id', '=', head.id)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? undefined : decodeDelivery(row);
}

/** Lease the first unfinished delivery of each queue in `opts.next` when it is pending and due. */
export async function settleWithKysely(
  db: Kysely<Database>,
  opts: SettleOptions,
  now: string,
): Promise<ClaimedDelivery[]> {
  const leased: WebhookDelivery[] = [];
  for (const look of opts.next) {
    const d = await leaseHead(db, look, opts, now);
    if (d) leased.push(d);
  }
  return claimWithEvents(db, leased);
}
