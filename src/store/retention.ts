import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Clock, Logger, TimerHandle } from '../shared/index.ts';
import type { Store } from './open-store.ts';
import { TimelineRepo } from './timeline-repo.ts';

/** How often the purge runs (it also runs once at start). */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

/** Rows one purge statement deletes at most: short statements, so calls writing between them never wait long. */
export const RETENTION_BATCH_SIZE = 500;

const DAY_MS = 24 * 60 * 60 * 1000;

/** What one purge round deleted, per kind of row. */
export interface RetentionReport {
  webhook_deliveries: number;
  outbox_events: number;
  idempotency_records: number;
  deleted_calls: number;
  deleted_activeflows: number;
  deleted_groupcalls: number;
  ended_transfers: number;
  timeline_entries: number;
}

/** Options of {@link purgeExpiredRows}. */
export interface PurgeOptions {
  batchSize?: number;
  /** Checked between batches: true ends the round early (the purger is stopping). */
  stopped?: () => boolean;
}

type DeletedTable = 'calls' | 'activeflows' | 'groupcalls';

/** The status a soft-deleted row must have reached before it may go: nothing writes it any more. */
const FINAL_STATUS: Record<DeletedTable, string> = { calls: 'hangup', activeflows: 'ended', groupcalls: 'hangup' };

/** The statuses after which a transfer changes no more (docs/calls.md "Transfer"). */
const TRANSFER_FINAL = ['completed', 'failed', 'canceled'];

/**
 * Deletes up to `limit` transfers that ended before `iso`: a transfer is never soft-deleted, so an
 * ended one is kept for the retention window and then goes, as its events do.
 */
async function purgeEndedTransfers(store: Store, iso: string, limit: number): Promise<number> {
  const result = await sql`delete from transfers where id in (select id from transfers
    where status in (${sql.join(TRANSFER_FINAL)}) and tm_update < ${iso} limit ${limit})`.execute(store.db);
  return Number(result.numAffectedRows ?? 0n);
}

/** Deletes up to `limit` rows of `table` soft-deleted before `iso` and in their final status. */
async function purgeDeleted(store: Store, table: DeletedTable, iso: string, limit: number): Promise<number> {
  const db = store.db;
  const batch = db
    .selectFrom(table as 'calls')
    .select('id')
    .where('tm_delete', 'is not', null)
    .where('tm_delete', '<', iso)
    .where('status', '=', FINAL_STATUS[table])
    .limit(limit);
  const result = await db
    .deleteFrom(table as 'calls')
    .where('id', 'in', batch)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The cut-off time of a retention of `retentionDays` at `nowMs`: rows older than it go. */
export function retentionCutoff(nowMs: number, retentionDays: number): string {
  return new Date(nowMs - retentionDays * DAY_MS).toISOString();
}

/**
 * One purge round: deletes every row older than `cutoffIso` from the logs that grow with traffic —
 * webhook deliveries (first, so a pending one goes only with its event), outbox events, idempotency
 * records, calls, activeflows and groupcalls soft-deleted before the cut-off, and transfers that ended
 * before it — each in batches of
 * `batchSize` rows per statement, yielding to the event loop between batches.
 */
export async function purgeExpiredRows(
  store: Store,
  cutoffIso: string,
  options: PurgeOptions = {},
): Promise<RetentionReport> {
  const limit = options.batchSize ?? RETENTION_BATCH_SIZE;
  const stopped = options.stopped ?? (() => false);
  const timeline = new TimelineRepo(store);
  const steps: [keyof RetentionReport, (n: number) => Promise<number>][] = [
    ['webhook_deliveries', (n) => store.deliveries.purgeBefore(cutoffIso, n)],
    ['outbox_events', (n) => store.outbox.purgeBefore(cutoffIso, n)],
    ['idempotency_records', (n) => store.idempotency.purgeBefore(cutoffIso, n)],
    ['deleted_calls', (n) => purgeDeleted(store, 'calls', cutoffIso, n)],
    ['deleted_activeflows', (n) => purgeDeleted(store, 'activeflows', cutoffIso, n)],
    ['deleted_groupcalls', (n) => purgeDeleted(store, 'groupcalls', cutoffIso, n)],
    ['ended_transfers', (n) => purgeEndedTransfers(store, cutoffIso, n)],
    // docs/timeline.md "Reading a timeline": entries go after the retention window, like events.
    ['timeline_entries', (n) => timeline.purgeBefore(cutoffIso, n)],
  ];
  const report: RetentionReport = {
    webhook_deliveries: 0,
    outbox_events: 0,
    idempotency_records: 0,
    deleted_calls: 0,
    deleted_activeflows: 0,
    deleted_groupcalls: 0,
    ended_transfers: 0,
    timeline_entries: 0,
  };
  for (const [kind, purge] of steps) {
    for (;;) {
      if (stopped()) return report;
      const removed = await purge(limit);
      report[kind] += removed;
      if (removed < limit) break;
      // Let calls, flows and the API run between two batches.
      await nextTurn();
    }
  }
  return report;
}

/** Options of a {@link RetentionPurger}. */
export interface RetentionPurgerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Rows older than this many days are deleted (`CALLBIN_RETENTION_DAYS`). */
  retentionDays: number;
  intervalMs?: number;
  batchSize?: number;
}

/**
 * Keeps the event outbox, the webhook delivery log, idempotency records and soft-deleted calls and
 * activeflows within the retention window (docs/security.md): a purge round at {@link start} and
 * then every `intervalMs` on the injected clock. A failing round is logged and retried next time.
 */
export class RetentionPurger {
  readonly #options: RetentionPurgerOptions;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #running: Promise<void> = Promise.resolve();

  constructor(options: RetentionPurgerOptions) {
    this.#options = options;
  }

  /** Runs a round now (in the background) and schedules the next ones. */
  start(): void {
    if (this.#stopped) return;
    this.#round();
  }

  /** The round in progress, or a resolved promise (tests wait on it). */
  get idle(): Promise<void> {
    return this.#running;
  }

  /** Stops the timer; resolves once a round in progress has ended (it stops between batches). Idempotent. */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#running;
  }

  #round(): void {
    this.#running = this.#purge().finally(() => {
      if (!this.#stopped)
        this.#timer = this.#options.clock.setTimeout(
          () => this.#round(),
          this.#options.intervalMs ?? RETENTION_INTERVAL_MS,
        );
    });
  }

  async #purge(): Promise<void> {
    const { store, clock, logger, retentionDays, batchSize } = this.#options;
    const cutoff = retentionCutoff(clock.now(), retentionDays);
    try {
      const report = await purgeExpiredRows(store, cutoff, {
        stopped: () => this.#stopped,
        ...(batchSize !== undefined ? { batchSize } : {}),
      });
      if (Object.values(report).some((n) => n > 0))
        logger.info({ ...report, before: cutoff }, 'retention purge removed old rows');
    } catch (err) {
      // A store hiccup (or the store closing under us) must not stop the purge for good.
      if (!this.#stopped) logger.warn({ err }, 'retention purge failed');
    }
  }
}
