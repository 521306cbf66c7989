// The row shapes of the tables the repositories share with `Database`, kept apart from the
// repositories so that `database.ts` imports no repository.

/** The row of `calls`: the columns lists filter and order on, and the JSON document. */
export interface StoredCall {
  id: string;
  customer_id: string;
  status: string;
  direction: string;
  master_call_id: string;
  tm_create: string;
  tm_update: string;
  tm_delete: string | null;
  /** The node that inserted the row and owns it (docs/cluster.md); never changed by an update. */
  node_id: string;
  data: string;
}

/** The row of `activeflows`: the columns lists filter and order on, and the JSON document. */
export interface StoredActiveflow {
  id: string;
  customer_id: string;
  flow_id: string;
  status: string;
  reference_type: string;
  reference_id: string;
  tm_create: string;
  tm_update: string;
  tm_delete: string | null;
  /** The node that inserted the row and owns it (docs/cluster.md); never changed by an update. */
  node_id: string;
  data: string;
}

/** The row of `recordings`: the columns lists filter and order on, and the JSON document. */
export interface StoredRecording {
  id: string;
  customer_id: string;
  reference_type: string;
  reference_id: string;
  status: string;
  tm_create: string;
  tm_update: string;
  tm_delete: string | null;
  /** The node that inserted the row and owns it (docs/cluster.md); never changed by an update. */
  node_id: string;
  data: string;
}

/** The row of `conferences`. */
export interface StoredConference {
  id: string;
  customer_id: string;
  type: string;
  status: string;
  tm_create: string;
  tm_update: string;
  tm_delete: string | null;
  /** The node that inserted the row and owns it (docs/cluster.md); never changed by an update. */
  node_id: string;
  data: string;
}

/** The row of `conferencecalls`. */
export interface StoredConferencecall {
  id: string;
  customer_id: string;
  conference_id: string;
  reference_id: string;
  status: string;
  tm_create: string;
  tm_update: string;
  tm_delete: string | null;
  data: string;
}

/** One event as the outbox stores it; `position` orders all events globally for stream resume. */
export interface OutboxEvent {
  position: number;
  event_id: string;
  customer_id: string;
  resource_type: string;
  resource_id: string;
  /** +1 per (resource_type, resource_id), starting at 1. */
  seq: number;
  type: string;
  tm_event: string;
  /** The resource exactly as its GET returns it. */
  data: unknown;
}

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
