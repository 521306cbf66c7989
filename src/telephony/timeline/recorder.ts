/**
 * The timeline recorder (docs/timeline.md "Reading a timeline"): producers hand it entries on the
 * SIP/RTP/flow paths, it keeps them in a bounded buffer and writes them to the store in batches —
 * one multi-row insert per flush, at most every `flushMs` or as soon as `batchSize` entries wait, and
 * when a call ends. `record` does no I/O and no JSON work and keeps only the entry and its time:
 * ids and timestamps are made at flush (entry-stamps.ts).
 */
import { type Clock, type ErrorCode, type Logger, NIL_UUID, type TimerHandle } from '../../shared/index.ts';
import type { NewTimelineEntry, TimelineEntry, TimelineRecorder } from '../../timeline/index.ts';
import { EntryStamps } from './entry-stamps.ts';

/** Where flushed entries go: one call per batch (the store's timeline repository). */
export interface TimelineSink {
  insert(entries: readonly TimelineEntry[]): Promise<void>;
}

/** Limits of a {@link BufferedTimeline} (docs/timeline.md "Limits, retention, the switch and the cost"). */
export interface TimelineLimits {
  /** Entries kept per call (or activeflow/conference without a call); later ones are counted and dropped. */
  maxPerCall: number;
  /** Entries waiting for a flush, all calls together; over it new entries are dropped. */
  maxPending: number;
  /** A flush starts at most this long after the first waiting entry. */
  flushMs: number;
  /** A flush starts as soon as this many entries wait. */
  batchSize: number;
}

export const DEFAULT_TIMELINE_LIMITS: TimelineLimits = {
  maxPerCall: 1000,
  maxPending: 20_000,
  flushMs: 1000,
  batchSize: 2000,
};

/** The error code of the one entry that says how many entries of a call were dropped. */
export const TIMELINE_DROPPED_CODE: ErrorCode = 'TIMELINE_ENTRIES_DROPPED';

/** Calls (keys) whose counters are kept; the oldest are forgotten beyond it (their drop entry written). */
const MAX_TRACKED_KEYS = 50_000;

interface KeyState {
  count: number;
  dropped: number;
  /** When the first entry was dropped, and the entry whose subject the drop entry takes. */
  firstDropMs: number;
  subject?: NewTimelineEntry;
}

export interface BufferedTimelineOptions {
  sink: TimelineSink;
  clock: Clock;
  logger: Logger;
  limits?: Partial<TimelineLimits>;
}

/** The recorder of a running process. */
export class BufferedTimeline implements TimelineRecorder {
  readonly enabled = true;
  readonly limits: TimelineLimits;
  readonly #sink: TimelineSink;
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** Entries waiting for a flush, their times (epoch ms) beside them; the first one's seq is {@link #firstSeq}. */
  #pending: NewTimelineEntry[] = [];
  #pendingMs: number[] = [];
  #firstSeq = 1;
  readonly #stamps = new EntryStamps();
  readonly #keys = new Map<string, KeyState>();
  #timer: TimerHandle | undefined;
  #flushing: Promise<void> | undefined;
  #soon = false;
  #closed = false;
  /** Entries dropped over the per-call or pending limits, and lost by failed writes, since start. */
  #dropped = 0;
  #written = 0;

  constructor(o: BufferedTimelineOptions) {
    this.#sink = o.sink;
    this.#clock = o.clock;
    this.#logger = o.logger;
    this.limits = { ...DEFAULT_TIMELINE_LIMITS, ...o.limits };
  }

  /** Counters for metrics and tests. */
  get stats(): { pending: number; written: number; dropped: number; tracked: number } {
    return { pending: this.#pending.length, written: this.#written, dropped: this.#dropped, tracked: this.#keys.size };
  }

  record(entry: NewTimelineEntry): void {
    if (this.#closed) return;
    const atMs = entry.atMs ?? this.#clock.now();
    const key = keyOf(entry);
    let state = this.#keys.get(key);
    if (!state) {
      state = { count: 0, dropped: 0, firstDropMs: 0 };
      this.#keys.set(key, state);
      if (this.#keys.size > MAX_TRACKED_KEYS) this.#forgetOldest();
    }
    if (state.count >= this.limits.maxPerCall || this.#pending.length >= this.limits.maxPending) {
      if (state.dropped === 0) {
        state.firstDropMs = atMs;
        state.subject = entry;
      }
      state.dropped++;
      this.#dropped++;
      return;
    }
    state.count++;
    this.#pending.push(entry);
    this.#pendingMs.push(atMs);
    this.#schedule();
  }

  /**
   * A call (or an activeflow or conference without a call) ended: the entry counting its dropped
   * entries is queued and its counters are forgotten. Its entries go with the next batch, not at
   * once: a flush per hangup would add the timeline's pages to a commit per call (a read flushes first).
   */
  end(id: string): void {
    const state = this.#keys.get(id);
    if (state) {
      this.#keys.delete(id);
      this.#pushDropEntry(state);
    }
  }

  /** Writes everything recorded so far; resolves once the store has it. */
  async flush(): Promise<void> {
    while (this.#pending.length > 0 || this.#flushing) {
      if (this.#flushing) await this.#flushing;
      else await this.#runFlush();
    }
  }

  /** Writes the drop entries of every tracked call and everything waiting; later records are ignored. */
  async close(): Promise<void> {
    for (const state of this.#keys.values()) this.#pushDropEntry(state);
    this.#keys.clear();
    this.#closed = true;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  #forgetOldest(): void {
    const oldest = this.#keys.keys().next();
    if (oldest.done) return;
    const state = this.#keys.get(oldest.value);
    this.#keys.delete(oldest.value);
    if (state) this.#pushDropEntry(state);
  }

  /** The one `error` entry of a call that lost entries (it is not itself subject to the limits). */
  #pushDropEntry(state: KeyState): void {
    if (state.dropped === 0 || !state.subject) return;
    const s = state.subject;
    this.#pending.push({
      customer_id: s.customer_id,
      call_id: s.call_id ?? NIL_UUID,
      activeflow_id: s.activeflow_id ?? NIL_UUID,
      conference_id: s.conference_id ?? NIL_UUID,
      kind: 'error',
      summary: `${state.dropped} timeline entries dropped (limit ${this.limits.maxPerCall} per call)`,
      data: {
        code: TIMELINE_DROPPED_CODE,
        message: `${state.dropped} entries were dropped after the call's first ${state.count}.`,
        dropped: state.dropped,
      },
    });
    this.#pendingMs.push(state.firstDropMs);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#pending.length >= this.limits.batchSize) {
      this.#flushSoon();
      return;
    }
    if (this.#timer === undefined && !this.#closed) {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        void this.#runFlush();
      }, this.limits.flushMs);
    }
  }

  /** A flush off the current call path: after the I/O of this turn (setImmediate). */
  #flushSoon(): void {
    if (this.#soon) return;
    this.#soon = true;
    setImmediate(() => {
      this.#soon = false;
      void this.#runFlush();
    });
  }

  #runFlush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.#pending.length === 0) return Promise.resolve();
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const rows = this.#take(this.limits.batchSize);
    const run = this.#write(rows).finally(() => {
      this.#flushing = undefined;
      if (this.#pending.length > 0) this.#schedule();
    });
    this.#flushing = run;
    return run;
  }

  /** The first `max` waiting entries with their ids, times and seqs, taken off the buffer. */
  #take(max: number): TimelineEntry[] {
    const n = Math.min(max, this.#pending.length);
    const entries = this.#pending;
    const times = this.#pendingMs;
    const stamps = this.#stamps;
    const rows: TimelineEntry[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const e = entries[i]!;
      const atMs = times[i]!;
      rows[i] = {
        id: stamps.id(atMs),
        customer_id: e.customer_id,
        call_id: e.call_id ?? NIL_UUID,
        activeflow_id: e.activeflow_id ?? NIL_UUID,
        conference_id: e.conference_id ?? NIL_UUID,
        tm: stamps.iso(atMs),
        seq: this.#firstSeq + i,
        kind: e.kind,
        summary: e.summary,
        data: e.data ?? {},
      };
    }
    this.#firstSeq += n;
    if (n === entries.length) {
      this.#pending = [];
      this.#pendingMs = [];
    } else {
      entries.splice(0, n);
      times.splice(0, n);
    }
    return rows;
  }

  async #write(rows: TimelineEntry[]): Promise<void> {
    try {
      await this.#sink.insert(rows);
      this.#written += rows.length;
    } catch (err) {
      this.#dropped += rows.length;
      this.#logger.error({ err, entries: rows.length }, 'timeline entries could not be stored');
    }
  }
}

/** The call an entry counts against: its call, else its activeflow, else its conference. */
function keyOf(e: NewTimelineEntry): string {
  if (e.call_id && e.call_id !== NIL_UUID) return e.call_id;
  if (e.activeflow_id && e.activeflow_id !== NIL_UUID) return e.activeflow_id;
  if (e.conference_id && e.conference_id !== NIL_UUID) return e.conference_id;
  return e.customer_id;
}
