import type pg from 'pg';
import { MAX_GROUP_MS, PgLane } from './pg-lane.ts';
import type { PgTx } from './pg-lane.ts';

export type { PgLane, PgResult, PgRow, PgTx } from './pg-lane.ts';

/** Connections the grouped transactions run on, each with a group of its own. */
export const PG_LANES = 4;

/**
 * The store's transactions on PostgreSQL, grouped like SqliteSession's (docs/architecture.md
 * "Store"), on {@link PG_LANES} connections held for them. A transaction goes to a lane nobody
 * holds (preferring one with an open group), else queues at the least busy one.
 */
export class PgSession {
  readonly #lanes: PgLane[];

  /** `lanes` and `maxGroupMs` (default {@link MAX_GROUP_MS}) are for tests. */
  constructor(pool: pg.Pool, o: { lanes?: number; maxGroupMs?: number } = {}) {
    this.#lanes = Array.from({ length: o.lanes ?? PG_LANES }, () => new PgLane(pool, o.maxGroupMs ?? MAX_GROUP_MS));
  }

  /** Run `fn` as one grouped transaction (see {@link PgLane.transaction}). */
  transaction<T>(fn: (tx: PgTx) => Promise<T>): Promise<T> {
    let free: PgLane | undefined;
    let least: PgLane | undefined;
    for (const lane of this.#lanes) {
      if (!lane.busy) {
        if (lane.open) return lane.transaction(fn);
        free ??= lane;
      } else if (!least || lane.queued < least.queued) least = lane;
    }
    return (free ?? least ?? this.#lanes[0]!).transaction(fn);
  }

  /** Commit what is open and give the connections back; later transactions fail. Idempotent. */
  async close(): Promise<void> {
    await Promise.all(this.#lanes.map((l) => l.close()));
  }
}
