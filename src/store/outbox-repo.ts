import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import type { SqliteSession } from './sqlite-session.ts';
import { timeOrderedId } from './time-ordered-id.ts';
import type { Scope } from './types.ts';
import type { OutboxEvent } from './row-types.ts';

/** An event as a domain module hands it to the outbox; id, seq and time are assigned on append. */
export interface NewOutboxEvent {
  customer_id: string;
  resource_type: string;
  resource_id: string;
  type: string;
  data: unknown;
}

/** Anything carrying the kysely handle of an open transaction (a StoreTx). */
export interface TxHandle {
  readonly db: Kysely<Database>;
  /** JSON text of `value`, remembered for the last value within the transaction. */
  jsonOf?(value: unknown): string;
  /**
   * PostgreSQL: run a parameterised statement (`$1` …) on the transaction's connection as a named
   * prepared statement, without kysely's compile (the call path's hot statements).
   */
  pgQuery?(text: string, values: readonly unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** `JSON.stringify(value ?? null)`, through the transaction's memory when it has one. */
export function jsonIn(tx: TxHandle, value: unknown): string {
  return tx.jsonOf ? tx.jsonOf(value) : JSON.stringify(value ?? null);
}

// The last seq of a resource on SQLite, where this process is the only writer: the events' own
// highest seq, or the counter the retention purge left when it deleted them.
const LAST_SEQ_SQL =
  'select max(s) as last_seq from (select max(seq) as s from outbox_events where resource_type = ? and resource_id = ? ' +
  'union all select last_seq as s from outbox_sequences where resource_type = ? and resource_id = ?)';
// Before the purge deletes a batch, the highest seq of each resource in it is kept.
const KEEP_SEQ_SQL =
  'insert into outbox_sequences (resource_type, resource_id, last_seq) select resource_type, resource_id, max(seq) ' +
  'from outbox_events where position in (select position from outbox_events where tm_event < ? order by position limit ?) ' +
  'group by resource_type, resource_id on conflict (resource_type, resource_id) do update set last_seq = max(last_seq, excluded.last_seq)';
const PURGE_SQL =
  'delete from outbox_events where position in (select position from outbox_events where tm_event < ? order by position limit ?)';
/** Resources whose last seq is remembered (the live ones are a small part of it). */
const SEQ_CACHE_MAX = 50_000;
const INSERT_EVENT_SQL =
  'insert into outbox_events (event_id, customer_id, resource_type, resource_id, seq, type, tm_event, data) values (?, ?, ?, ?, ?, ?, ?, ?)';

// PostgreSQL: the counter upsert and the insert in one statement. The upsert takes the counter's
// row lock, so concurrent appends to one resource queue behind each other instead of reading the
// same seq; the lock is held until the transaction commits.
const PG_APPEND_SQL =
  'with counter as (insert into outbox_sequences (resource_type, resource_id, last_seq) values ($1, $2, 1) ' +
  'on conflict (resource_type, resource_id) do update set last_seq = outbox_sequences.last_seq + 1 returning last_seq) ' +
  'insert into outbox_events (event_id, customer_id, resource_type, resource_id, seq, type, tm_event, data) ' +
  'select $3, $4, $1, $2, last_seq, $5, $6, $7 from counter returning position, seq';

/** Options of `OutboxRepo.listAfter`. */
export interface ListAfterOptions extends Scope {
  /** Events with a greater position than this. */
  afterPosition: number;
  /** Only events at or after this ISO time (the resume window). */
  sinceIso: string;
  limit: number;
}

/** The transactional event outbox. */
export interface OutboxRepo {
  /** Append an event inside `tx`: assigns `event_id`, the next `seq` of the resource and `tm_event`. */
  append(tx: TxHandle, event: NewOutboxEvent): Promise<OutboxEvent>;
  /** One event by id within the scope. */
  get(eventId: string, scope?: Scope): Promise<OutboxEvent | undefined>;
  /** Events after a position in position order (for stream resume). */
  listAfter(opts: ListAfterOptions): Promise<OutboxEvent[]>;
  /** Every event of one resource in seq order. */
  listForResource(resourceType: string, resourceId: string): Promise<OutboxEvent[]>;
  /** Delete up to `limit` events older than `iso` (one short statement: the retention purge loops); returns how many. */
  purgeBefore(iso: string, limit: number): Promise<number>;
}

type StoredEvent = Selectable<Database['outbox_events']>;

function decode(row: StoredEvent): OutboxEvent {
  // PostgreSQL's bigserial arrives as a string from pg.
  return { ...row, position: Number(row.position), seq: Number(row.seq), data: JSON.parse(row.data) as unknown };
}

/**
 * `event` with `data` as a reader of the stored event gets it: parsed from the stored text (a copy,
 * never the caller's object), on first use only; most appended events are never read back here.
 */
function withStoredData(event: Omit<OutboxEvent, 'data'>, text: string): OutboxEvent {
  let parsed: { value: unknown } | undefined;
  return Object.defineProperty(event, 'data', {
    enumerable: true,
    configurable: true,
    get: () => (parsed ??= { value: JSON.parse(text) as unknown }).value,
    set: (value: unknown) => {
      parsed = { value };
    },
  }) as OutboxEvent;
}

/** The outbox over `outbox_events` and the per-resource counters in `outbox_sequences`. */
export class OutboxTable implements OutboxRepo {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #session: SqliteSession | undefined;
  /** SQLite: the last seq per resource (type NUL id), read once from the table, then counted here. */
  readonly #lastSeq = new Map<string, number>();

  constructor(db: Kysely<Database>, clock: Clock, session?: SqliteSession) {
    this.#db = db;
    this.#clock = clock;
    this.#session = session;
  }

  async append(tx: TxHandle, event: NewOutboxEvent): Promise<OutboxEvent> {
    // SQLite: the transaction holds the one connection, so two prepared statements do it synchronously.
    if (this.#session) return this.#appendSqlite(tx, event);
    if (tx.pgQuery) return this.#appendPg(tx, tx.pgQuery, event);
    // The upsert takes a row lock (PostgreSQL) or the write lock (SQLite), so concurrent appends to
    // one resource queue behind each other instead of reading the same max(seq).
    const counter = await tx.db
      .insertInto('outbox_sequences')
      .values({ resource_type: event.resource_type, resource_id: event.resource_id, last_seq: 1 })
      .onConflict((oc) =>
        oc
          .columns(['resource_type', 'resource_id'])
          .doUpdateSet((eb) => ({ last_seq: eb('outbox_sequences.last_seq', '+', 1) })),
      )
      .returning('last_seq')
      .executeTakeFirstOrThrow();
    const row = await tx.db
      .insertInto('outbox_events')
      .values({
        event_id: timeOrderedId(this.#clock.now()),
        customer_id: event.customer_id,
        resource_type: event.resource_type,
        resource_id: event.resource_id,
        seq: Number(counter.last_seq),
        type: event.type,
        tm_event: new Date(this.#clock.now()).toISOString(),
        data: jsonIn(tx, event.data),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return decode(row);
  }

  async #appendPg(tx: TxHandle, query: NonNullable<TxHandle['pgQuery']>, event: NewOutboxEvent): Promise<OutboxEvent> {
    const { resource_type, resource_id } = event;
    const nowMs = this.#clock.now();
    const eventId = timeOrderedId(nowMs);
    const tmEvent = new Date(nowMs).toISOString();
    const data = jsonIn(tx, event.data);
    const { rows } = await query(PG_APPEND_SQL, [
      resource_type,
      resource_id,
      eventId,
      event.customer_id,
      event.type,
      tmEvent,
      data,
    ]);
    const row = rows[0];
    if (!row) throw new Error(`outbox append of ${resource_type} ${resource_id} returned no row`);
    const stored = {
      position: Number(row.position),
      event_id: eventId,
      customer_id: event.customer_id,
      resource_type,
      resource_id,
      seq: Number(row.seq),
      type: event.type,
      tm_event: tmEvent,
    };
    return withStoredData(stored, data);
  }

  #appendSqlite(tx: TxHandle, event: NewOutboxEvent): OutboxEvent {
    const session = this.#session!;
    const { resource_type, resource_id } = event;
    const seq = this.#nextSeq(session, resource_type, resource_id);
    const nowMs = this.#clock.now();
    const eventId = timeOrderedId(nowMs);
    const tmEvent = new Date(nowMs).toISOString();
    const data = jsonIn(tx, event.data);
    const { lastInsertRowid } = session
      .statement(INSERT_EVENT_SQL)
      .run(eventId, event.customer_id, resource_type, resource_id, seq, event.type, tmEvent, data);
    const stored = {
      position: Number(lastInsertRowid),
      event_id: eventId,
      customer_id: event.customer_id,
      resource_type,
      resource_id,
      seq,
      type: event.type,
      tm_event: tmEvent,
    };
    return withStoredData(stored, data);
  }

  /**
   * The next seq of a resource without a counter row write per event: one process owns the SQLite
   * file, so the counter lives in memory, read from the table on first use. A rolled-back
   * transaction forgets the counters it advanced, so they are read again.
   */
  #nextSeq(session: SqliteSession, type: string, id: string): number {
    const key = `${type}\u0000${id}`;
    let last = this.#lastSeq.get(key);
    if (last === undefined) {
      const row = session.statement(LAST_SEQ_SQL).get(type, id, type, id) as { last_seq: number | null };
      last = row.last_seq ?? 0;
      if (this.#lastSeq.size >= SEQ_CACHE_MAX) {
        // Oldest first (insertion order); they are read again from the table when used.
        let drop = SEQ_CACHE_MAX / 10;
        for (const k of this.#lastSeq.keys()) {
          this.#lastSeq.delete(k);
          if (--drop === 0) break;
        }
      }
    }
    const seq = last + 1;
    this.#lastSeq.set(key, seq);
    session.onRollback(() => this.#lastSeq.delete(key));
    return seq;
  }

  async get(eventId: string, scope: Scope = {}): Promise<OutboxEvent | undefined> {
    let query = this.#db.selectFrom('outbox_events').selectAll().where('event_id', '=', eventId);
    if (scope.customerId !== undefined) query = query.where('customer_id', '=', scope.customerId);
    const row = await query.executeTakeFirst();
    return row === undefined ? undefined : decode(row);
  }

  async listAfter(opts: ListAfterOptions): Promise<OutboxEvent[]> {
    let query = this.#db
      .selectFrom('outbox_events')
      .selectAll()
      .where('position', '>', opts.afterPosition)
      .where('tm_event', '>=', opts.sinceIso);
    if (opts.customerId !== undefined) query = query.where('customer_id', '=', opts.customerId);
    const rows = await query.orderBy('position', 'asc').limit(opts.limit).execute();
    return rows.map(decode);
  }

  async listForResource(resourceType: string, resourceId: string): Promise<OutboxEvent[]> {
    const rows = await this.#db
      .selectFrom('outbox_events')
      .selectAll()
      .where('resource_type', '=', resourceType)
      .where('resource_id', '=', resourceId)
      .orderBy('seq', 'asc')
      .execute();
    return rows.map(decode);
  }

  async purgeBefore(iso: string, limit: number): Promise<number> {
    const session = this.#session;
    if (session) {
      // The counters are not written per event on SQLite: the purged events' last seqs are kept first.
      return session.transaction(() => {
        session.statement(KEEP_SEQ_SQL).run(iso, limit);
        return session.statement(PURGE_SQL).run(iso, limit).changes;
      });
    }
    // A batch by primary key, found through outbox_events_tm_event_idx: the statement stays short on both dialects.
    const batch = this.#db.selectFrom('outbox_events').select('position').where('tm_event', '<', iso).limit(limit);
    const result = await this.#db.deleteFrom('outbox_events').where('position', 'in', batch).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
