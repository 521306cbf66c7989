import type { TxHandle } from './outbox-repo.ts';
import type { ListOptions, Page, Scope } from './types.ts';
import type { WebhookDelivery } from './row-types.ts';

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

/** The stored event a leased delivery carries, ready for its envelope. */
export interface ClaimedEvent {
  type: string;
  event_id: string;
  seq: number;
  tm_event: string;
  /** The event's `data` as the stored JSON text. */
  data: string;
}

/** A leased delivery and its event (undefined when the event no longer exists). */
export interface ClaimedDelivery {
  delivery: WebhookDelivery;
  event: ClaimedEvent | undefined;
}

/** The outcome of one delivery's attempt, for {@link DeliveryRepo.settle}. */
export interface RecordedAttempt {
  id: string;
  attempt: DeliveryAttempt;
}

/** One queue of deliveries: a resource's events to one target, sent in seq order. */
export interface DeliveryKey {
  resource_type: string;
  resource_id: string;
  uri: string;
  method: string;
}

/**
 * A queue to look at, up to the highest seq known to be committed (rows beyond may not be yet);
 * without `maxSeq` the whole queue, which costs a commit first on SQLite. `afterSeq` skips the rows
 * up to a seq known to be finished, so a long queue is not walked from its start every time.
 */
export interface QueueLook {
  key: DeliveryKey;
  maxSeq?: number;
  afterSeq?: number;
}

/** Options of {@link DeliveryRepo.settle}. */
export interface SettleOptions {
  /** Outcomes of finished attempts. */
  outcomes: readonly RecordedAttempt[];
  /** Queues to look at next: the first unfinished delivery of each (up to `maxSeq`) is leased when it is pending and due. */
  next: readonly QueueLook[];
  nowIso: string;
  leaseUntilIso: string;
}

/** Options of a claim. */
export interface ClaimOptions {
  nowIso: string;
  leaseUntilIso: string;
  limit: number;
}

/** The durable delivery queue and log. */
export interface DeliveryRepo {
  /** Queue deliveries inside `tx`, due immediately. */
  enqueue(tx: TxHandle, rows: readonly NewWebhookDelivery[]): Promise<WebhookDelivery[]>;
  /**
   * Lease up to `limit` due pending deliveries whose earlier seqs of the same resource and target are
   * all delivered or failed; each is returned `delivering` until `leaseUntilIso`.
   */
  claimDue(opts: ClaimOptions): Promise<WebhookDelivery[]>;
  /**
   * {@link claimDue} for this process's worker, each lease with the stored event it carries. On
   * SQLite (one delivering process) the lease is held in memory and the row stays `pending` in the
   * table until {@link settle} records its outcome; a crash leaves it pending, to be sent again.
   */
  claimDueWithEvents(opts: ClaimOptions): Promise<ClaimedDelivery[]>;
  /**
   * The worker's round trip: record `outcomes` of deliveries leased by {@link claimDueWithEvents}
   * or an earlier settle, then for each queue in `next` lease its first unfinished delivery up to
   * `maxSeq` when that one is pending and due, with its event (leases as in claimDueWithEvents). It
   * does not wait for a commit (on SQLite it joins the open group): losing the outcomes to a crash
   * only means those deliveries are sent again (at least once).
   */
  settle(opts: SettleOptions): Promise<ClaimedDelivery[]>;
  /** Record the outcome of an attempt of a `delivering` row (attempts + 1). */
  record(id: string, attempt: DeliveryAttempt): Promise<WebhookDelivery | undefined>;
  /** Put `delivering` rows whose lease ended back to pending; returns how many. */
  releaseExpiredLeases(nowIso: string): Promise<number>;
  /**
   * Put `delivering` rows leased at or before `iso` back to pending, whenever their lease ends; returns
   * how many. A dead node's leases (docs/cluster.md "Node health"): `iso` is a little after its last
   * heartbeat, and a live worker's lease lasts one request, far less than the time it takes to find
   * a node dead, so what is released is (nearly always) the dead node's; a live one released too
   * means one more delivery (at least once).
   */
  releaseLeasesTakenBy(iso: string): Promise<number>;
  /** One delivery within the scope. */
  get(id: string, scope?: Scope): Promise<WebhookDelivery | undefined>;
  /** Deliveries newest first; filters `event_type`, `status`, `resource_id`, `event_id`. */
  list(opts: ListOptions): Promise<Page<WebhookDelivery>>;
  /**
   * Delete up to `limit` deliveries created before `iso` (the retention purge loops): finished ones,
   * and unfinished ones whose event is past `iso` too or gone, since they have nothing left to send.
   */
  purgeBefore(iso: string, limit: number): Promise<number>;
  /** Queue a delivered or failed delivery again as a new attempt cycle; InvalidStateError otherwise. */
  redeliver(id: string, scope?: Scope): Promise<WebhookDelivery | undefined>;
}

/**
 * The row a queued delivery starts as: pending, due `now`, no attempt yet. `r` is copied field by
 * field, so nothing else a caller's object carries reaches the table.
 */
export function pendingDelivery(r: NewWebhookDelivery, id: string, now: string): WebhookDelivery {
  return {
    id,
    customer_id: r.customer_id,
    event_id: r.event_id,
    resource_type: r.resource_type,
    resource_id: r.resource_id,
    seq: r.seq,
    event_type: r.event_type,
    uri: r.uri,
    method: r.method,
    status: 'pending',
    attempts: 0,
    last_status_code: 0,
    last_error: '',
    latency_ms: 0,
    next_attempt_at: now,
    lease_until: '',
    tm_create: now,
    tm_update: now,
  };
}
