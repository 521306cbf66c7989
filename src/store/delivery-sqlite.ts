import type { ClaimOptions, ClaimedDelivery, NewWebhookDelivery, SettleOptions } from './delivery-types.ts';
import { pendingDelivery } from './delivery-types.ts';
import type { WebhookDelivery } from './row-types.ts';
import type { SqliteSession } from './sqlite-session.ts';
import { timeOrderedId } from './time-ordered-id.ts';

const INSERT_SQL =
  'insert into webhook_deliveries (id, customer_id, event_id, resource_type, resource_id, seq, event_type, uri, method, status, attempts, ' +
  "last_status_code, last_error, latency_ms, next_attempt_at, lease_until, tm_create, tm_update) values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, '', 0, ?, '', ?, ?)";

// Due pending rows whose earlier seqs of the same resource and target are all finished, with the
// event each carries. The literal status lets the planner use webhook_deliveries_due_idx.
const CANDIDATES_SQL =
  'select d.*, e.type as e_type, e.tm_event as e_tm_event, e.data as e_data from webhook_deliveries d ' +
  'left join outbox_events e on e.event_id = d.event_id ' +
  "where d.status = 'pending' and d.next_attempt_at <= ? and not exists (select 1 from webhook_deliveries p " +
  'where p.resource_type = d.resource_type and p.resource_id = d.resource_id and p.uri = d.uri and p.method = d.method ' +
  "and p.seq < d.seq and p.status in ('pending', 'delivering')) order by d.next_attempt_at, d.seq limit ?";

// The first unfinished delivery of one queue within a seq range (`+status`: walk the queue's index
// in seq order).
const HEAD_SQL =
  'select d.*, e.type as e_type, e.tm_event as e_tm_event, e.data as e_data from webhook_deliveries d ' +
  'left join outbox_events e on e.event_id = d.event_id where d.resource_type = ? and d.resource_id = ? and d.uri = ? and d.method = ? ' +
  "and d.seq > ? and d.seq <= ? and +d.status in ('pending', 'delivering') order by d.seq limit 1";

// The outcome of a delivery leased in memory (still `pending` in the table).
const RECORD_SQL =
  'update webhook_deliveries set status = ?, attempts = attempts + 1, last_status_code = ?, last_error = ?, latency_ms = ?, ' +
  "next_attempt_at = ?, lease_until = '', tm_update = ? where id = ? and status = 'pending'";

type CandidateRow = WebhookDelivery & { e_type: string | null; e_tm_event: string | null; e_data: string | null };

/**
 * The webhook delivery queue's hot statements on the embedded store, run synchronously.
 *
 * The worker's leases ({@link claim}, {@link settle}) are kept in memory, not written: the embedded
 * store has one delivering process, so a lease only has to keep this process from sending a row
 * twice, and a crash loses nothing (the row is still `pending`, and is sent again on start: at
 * least once). That saves a write per delivery; `claimDue`, the contract's lease, still writes.
 */
export class SqliteDeliveries {
  readonly #session: SqliteSession;
  /** Deliveries leased in memory: id → lease end (ISO). */
  readonly #leased = new Map<string, string>();

  constructor(session: SqliteSession) {
    this.#session = session;
  }

  /** Insert pending rows due at `now`; only inside a session transaction (it holds the connection). */
  enqueue(rows: readonly NewWebhookDelivery[], nowMs: number, now: string): WebhookDelivery[] {
    const insert = this.#session.statement(INSERT_SQL);
    return rows.map((r) => {
      const id = timeOrderedId(nowMs);
      insert.run(
        id,
        r.customer_id,
        r.event_id,
        r.resource_type,
        r.resource_id,
        r.seq,
        r.event_type,
        r.uri,
        r.method,
        now,
        now,
        now,
      );
      return pendingDelivery(r, id, now);
    });
  }

  /** Lease due deliveries with their events; reads only committed rows (the open group commits first). */
  claim(opts: ClaimOptions): Promise<ClaimedDelivery[]> {
    return this.#session.write(
      () => {
        // Rows leased here are still pending in the table: ask for enough to skip them.
        const candidates = this.#session
          .statement(CANDIDATES_SQL)
          .all(opts.nowIso, opts.limit + this.#leased.size) as CandidateRow[];
        return this.#lease(candidates, opts, opts.limit);
      },
      { fresh: true },
    );
  }

  /**
   * Record outcomes, then lease the head of each queue in `opts.next` when it is pending and due.
   * It joins the open group: `maxSeq` keeps it from reading a row whose transaction is not committed
   * (a look without one commits the group first). With outcomes it resolves only once they are
   * committed: a queue's next delivery must not leave before its predecessor is durably finished,
   * or a crash in between resends the predecessor after its successor arrived (per-resource order).
   */
  settle(opts: SettleOptions, now: string): Promise<ClaimedDelivery[]> {
    const run = (fn: () => ClaimedDelivery[]): Promise<ClaimedDelivery[]> => {
      if (opts.outcomes.length === 0)
        return this.#session.write(fn, { fresh: opts.next.some((n) => n.maxSeq === undefined) });
      // A transaction of the open group settles after its commit, and it reads what it commits with.
      return this.#session.transaction(fn);
    };
    const written = run(() => {
      const record = this.#session.statement(RECORD_SQL);
      for (const { id, attempt: a } of opts.outcomes) {
        if (!this.#leased.delete(id)) continue;
        record.run(a.status, a.status_code, a.error, Math.round(a.latency_ms), a.next_attempt_at, now, id);
      }
      const head = this.#session.statement(HEAD_SQL);
      const heads: CandidateRow[] = [];
      for (const { key: k, maxSeq, afterSeq } of opts.next) {
        const row = head.get(
          k.resource_type,
          k.resource_id,
          k.uri,
          k.method,
          afterSeq ?? 0,
          maxSeq ?? Number.MAX_SAFE_INTEGER,
        ) as CandidateRow | undefined;
        if (row && row.status === 'pending' && row.next_attempt_at <= opts.nowIso) heads.push(row);
      }
      return this.#lease(heads, opts, heads.length);
    });
    // Outcomes not written leave their rows pending and free to be leased again.
    written.catch(() => {
      for (const { id } of opts.outcomes) this.#leased.delete(id);
    });
    return written;
  }

  #lease(
    rows: readonly CandidateRow[],
    opts: { nowIso: string; leaseUntilIso: string },
    limit: number,
  ): ClaimedDelivery[] {
    const out: ClaimedDelivery[] = [];
    for (const { e_type, e_tm_event, e_data, ...row } of rows) {
      if (out.length >= limit) break;
      const held = this.#leased.get(row.id);
      if (held !== undefined && held > opts.nowIso) continue;
      this.#leased.set(row.id, opts.leaseUntilIso);
      const delivery: WebhookDelivery = { ...row, status: 'delivering', lease_until: opts.leaseUntilIso };
      const event =
        e_type === null
          ? undefined
          : { type: e_type, event_id: row.event_id, seq: row.seq, tm_event: e_tm_event ?? '', data: e_data ?? 'null' };
      out.push({ delivery, event });
    }
    return out;
  }
}
