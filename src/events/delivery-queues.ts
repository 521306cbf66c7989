import type { DeliveryAttempt, DeliveryKey, QueueLook, RecordedAttempt } from '../store/index.ts';
import type { QueuedDelivery } from './event-hub.ts';

/** The text identifying one delivery queue (a resource's events to one target). */
export function queueId(k: DeliveryKey): string {
  return `${k.resource_type}\u0000${k.resource_id}\u0000${k.method}\u0000${k.uri}`;
}

const FINISHED_MAX = 10_000;

/** An outcome waiting to be written, with the task waiting for it. */
interface PendingOutcome {
  outcome: RecordedAttempt;
  key: DeliveryKey;
  seq: number;
  done: () => void;
}

/** One round for the store: outcomes to write and the queues whose next delivery to lease. */
export interface Round {
  outcomes: PendingOutcome[];
  next: QueueLook[];
}

/**
 * What the delivery worker knows between store round trips: which queues have a delivery in flight
 * here (their next one waits), which queues may have a next delivery to lease, the highest seq of
 * each such queue known to be committed, and the outcomes not yet written. Losing this knowledge is
 * harmless: the worker's poll finds due rows in the store.
 */
export class DeliveryQueues {
  readonly #busy = new Set<string>();
  readonly #look = new Map<string, DeliveryKey>();
  /** Highest committed seq per queue this worker was told about (cleared once a look finds nothing). */
  readonly #committed = new Map<string, number>();
  /** Highest seq per queue known delivered or failed: a look starts after it (bounded memory). */
  readonly #finishedUpTo = new Map<string, number>();
  #outcomes: PendingOutcome[] = [];

  /** Deliveries leased and not yet recorded. */
  get active(): number {
    return this.#busy.size;
  }

  /** True when a round has something to do with `concurrency` requests at most in flight. */
  hasWork(concurrency: number): boolean {
    return this.#outcomes.length > 0 || (this.#look.size > 0 && this.#busy.size < concurrency);
  }

  /** Deliveries were committed: look at each of their queues that has nothing in flight here. */
  queued(rows: readonly QueuedDelivery[]): void {
    for (const r of rows) {
      const id = queueId(r);
      this.#committed.set(id, Math.max(this.#committed.get(id) ?? 0, r.seq));
      if (!this.#busy.has(id)) this.#look.set(id, r);
    }
  }

  /** A delivery of `k` was leased here; its queue waits for its outcome. */
  leased(k: DeliveryKey): void {
    const id = queueId(k);
    this.#busy.add(id);
    this.#look.delete(id);
  }

  /** A leased delivery of `k` will have no outcome (its task failed): the queue is free again. */
  abandoned(k: DeliveryKey): void {
    this.#busy.delete(queueId(k));
  }

  /** An attempt of delivery `id` (seq `seq` of queue `k`) finished; `done` runs once its outcome is written. */
  finished(k: DeliveryKey, seq: number, id: string, attempt: DeliveryAttempt, done: () => void): void {
    this.#outcomes.push({ outcome: { id, attempt }, key: k, seq, done });
  }

  /**
   * Take the next round: every finished outcome, and as many queues to look at as `concurrency`
   * leaves room for. A queue whose delivery was delivered or failed moves on to its next one; one
   * waiting for a retry stays behind it (the poll picks the retry up when it is due, and the queue
   * is then looked at whole).
   */
  take(concurrency: number, running: boolean): Round {
    const outcomes = this.#outcomes;
    this.#outcomes = [];
    for (const o of outcomes) {
      const id = queueId(o.key);
      this.#busy.delete(id);
      if (!running || o.outcome.attempt.status === 'pending') {
        this.#committed.delete(id);
        continue;
      }
      if (this.#finishedUpTo.size >= FINISHED_MAX) this.#finishedUpTo.clear();
      this.#finishedUpTo.set(id, Math.max(this.#finishedUpTo.get(id) ?? 0, o.seq));
      this.#look.set(id, o.key);
    }
    const next: QueueLook[] = [];
    const room = running ? concurrency - this.#busy.size : 0;
    for (const [id, key] of this.#look) {
      if (next.length >= room) break;
      this.#look.delete(id);
      // Unknown queues (leased by the poll) are looked at whole; that costs the store a commit first.
      const maxSeq = this.#committed.get(id);
      const afterSeq = this.#finishedUpTo.get(id);
      next.push({ key, ...(maxSeq === undefined ? {} : { maxSeq }), ...(afterSeq === undefined ? {} : { afterSeq }) });
    }
    return { outcomes, next };
  }

  /** The queues of a round whose look leased nothing are done until the store tells of more. */
  lookedAt(next: readonly QueueLook[], leased: readonly DeliveryKey[]): void {
    const busy = new Set(leased.map(queueId));
    for (const { key } of next) {
      const id = queueId(key);
      if (!busy.has(id) && !this.#look.has(id)) this.#committed.delete(id);
    }
  }
}
