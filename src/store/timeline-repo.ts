import type { Kysely } from 'kysely';
import { NIL_UUID, ValidationError } from '../shared/index.ts';
import type { TimelineEntry, TimelineKind } from '../timeline/index.ts';
import type { Store } from './open-store.ts';

/**
 * A chunk as stored (docs/timeline.md "Storage"): the entries of one (customer, call, activeflow,
 * conference) written by one flush; `data` is the JSON text of their {@link ChunkItem}s.
 */
export type TimelineRow = {
  id: string;
  customer_id: string;
  call_id: string;
  activeflow_id: string;
  conference_id: string;
  tm_first: string;
  tm_last: string;
  count: number;
  data: string;
};

/** An entry inside a chunk: the columns its chunk holds once are left out. */
type ChunkItem = Pick<TimelineEntry, 'id' | 'tm' | 'seq' | 'kind' | 'summary' | 'data'>;

type TimelineTables = {
  timeline_entries: TimelineRow;
};

/** Whose entries a list reads: any of the ids given (a call's timeline names its activeflow too). */
export interface TimelineListQuery {
  customerId: string;
  callId?: string;
  activeflowId?: string;
  conferenceId?: string;
  /** Only these kinds; all when absent or empty. */
  kinds?: readonly TimelineKind[];
  /** A `next_page_token` of the previous page. */
  pageToken?: string;
  limit: number;
}

/** One page, oldest first; `next_page_token` is '' on the last page. */
export interface TimelinePage {
  items: TimelineEntry[];
  next_page_token: string;
}

interface Cursor {
  tm: string;
  seq: number;
  id: string;
}

/**
 * At most this many chunks are read for one page. A call keeps at most 1,000 entries (docs/timeline.md
 * "Limits, retention, the switch and the cost"), so a call's chunks and its activeflow's fit; a page
 * past the cap is cut where the unread chunks begin and the next page goes on from there.
 */
export const MAX_CHUNKS_READ = 2000;

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(['t', c.tm, c.seq, c.id]), 'utf8').toString('base64url');
}

/** The cursor of a token from {@link encodeCursor}; anything else is INVALID_PAGE_TOKEN on `page_token`. */
function decodeCursor(token: string): Cursor {
  const invalid = () =>
    ValidationError.field(
      'page_token',
      'INVALID_PAGE_TOKEN',
      'page_token is not a token returned by a previous list call',
    );
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(token)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || parsed[0] !== 't') throw invalid();
  const [, tm, seq, id] = parsed as unknown[];
  if (
    typeof tm !== 'string' ||
    !ISO_RE.test(tm) ||
    !Number.isSafeInteger(seq) ||
    typeof id !== 'string' ||
    id.length > 64
  )
    throw invalid();
  return { tm, seq: seq as number, id };
}

/** Negative when `a` comes before `b` in (tm, seq, id) order. */
function compare(a: Cursor, b: Cursor): number {
  if (a.tm !== b.tm) return a.tm < b.tm ? -1 : 1;
  if (a.seq !== b.seq) return a.seq - b.seq;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** `entries` as chunk rows: one per (customer, call, activeflow, conference), in first-seen order. */
export function toChunks(entries: readonly TimelineEntry[]): TimelineRow[] {
  const groups = new Map<string, TimelineEntry[]>();
  for (const e of entries) {
    const key = `${e.customer_id} ${e.call_id} ${e.activeflow_id} ${e.conference_id}`;
    const group = groups.get(key);
    if (group) group.push(e);
    else groups.set(key, [e]);
  }
  const rows: TimelineRow[] = [];
  for (const group of groups.values()) {
    const head = group[0]!;
    let id = head.id;
    let first = head.tm;
    let last = head.tm;
    const items: ChunkItem[] = new Array(group.length);
    for (let i = 0; i < group.length; i++) {
      const e = group[i]!;
      if (e.id < id) id = e.id;
      if (e.tm < first) first = e.tm;
      if (e.tm > last) last = e.tm;
      items[i] = { id: e.id, tm: e.tm, seq: e.seq, kind: e.kind, summary: e.summary, data: e.data };
    }
    rows.push({
      id,
      customer_id: head.customer_id,
      call_id: head.call_id,
      activeflow_id: head.activeflow_id,
      conference_id: head.conference_id,
      tm_first: first,
      tm_last: last,
      count: group.length,
      data: JSON.stringify(items),
    });
  }
  return rows;
}

/** The entries of a chunk row. */
function decodeChunk(row: TimelineRow): TimelineEntry[] {
  return (JSON.parse(row.data) as ChunkItem[]).map((item) => ({
    id: item.id,
    customer_id: row.customer_id,
    call_id: row.call_id,
    activeflow_id: row.activeflow_id,
    conference_id: row.conference_id,
    tm: item.tm,
    seq: item.seq,
    kind: item.kind,
    summary: item.summary,
    data: item.data,
  }));
}

const COLUMNS = 'id, customer_id, call_id, activeflow_id, conference_id, tm_first, tm_last, count, data';
const COLUMN_KEYS = COLUMNS.split(', ') as (keyof TimelineRow)[];
/**
 * SQLite: the multi-row statements' sizes, largest first. A flush's chunks are written as a few
 * statements of these sizes (7 chunks: 4 + 1 + 1 + 1), so the session caches four statement texts.
 */
const SQLITE_SIZES = [64, 16, 4, 1] as const;
const sqliteInsertSql = (rows: number): string =>
  `insert into timeline_entries (${COLUMNS}) values ${Array.from({ length: rows }, () => `(${COLUMN_KEYS.map(() => '?').join(', ')})`).join(', ')}`;
const SQLITE_INSERT_SQL = new Map<number, string>(SQLITE_SIZES.map((n) => [n, sqliteInsertSql(n)]));
/** PostgreSQL: one statement shape whatever the number of rows (the rows as arrays, unnested). */
const PG_INSERT_SQL =
  `insert into timeline_entries (${COLUMNS}) select * from unnest($1::text[], $2::text[], $3::text[], ` +
  '$4::text[], $5::text[], $6::text[], $7::text[], $8::integer[], $9::text[])';

/** Writes `rows` as a few statements of {@link SQLITE_SIZES} rows. */
function sqliteInsert(session: TimelineSqliteWriter, rows: readonly TimelineRow[]): void {
  let at = 0;
  for (const size of SQLITE_SIZES) {
    if (rows.length - at < size) continue;
    const statement = session.statement(SQLITE_INSERT_SQL.get(size)!);
    const params: unknown[] = new Array(size * COLUMN_KEYS.length);
    while (rows.length - at >= size) {
      let p = 0;
      for (let i = at; i < at + size; i++) for (const key of COLUMN_KEYS) params[p++] = rows[i]![key];
      statement.run(params);
      at += size;
    }
  }
}

/** The nine column arrays of {@link PG_INSERT_SQL}. */
function pgColumns(rows: readonly TimelineRow[]): unknown[][] {
  return COLUMN_KEYS.map((key) => rows.map((r) => r[key]));
}

/** The SQLite session's part the repository writes through (store/sqlite-session.ts). */
export interface TimelineSqliteWriter {
  statement(sqlText: string): { run(params: unknown[]): unknown };
  write<T>(fn: () => T): Promise<T>;
}

/** What {@link TimelineRepo} needs of the store. */
export type TimelineStore = Pick<Store, 'db' | 'transaction'> & {
  readonly sqliteSession?: TimelineSqliteWriter | undefined;
};

/** The stored timeline: chunk inserts from the recorder, paged reads for the API, the retention purge. */
export class TimelineRepo {
  readonly #store: TimelineStore;

  constructor(store: TimelineStore) {
    this.#store = store;
  }

  #db(db: Store['db'] = this.#store.db): Kysely<TimelineTables> {
    return db.withTables<TimelineTables>() as unknown as Kysely<TimelineTables>;
  }

  /**
   * Stores `entries` as one chunk row per (customer, call, activeflow, conference), with cached
   * prepared statements, without kysely (docs/architecture.md "Store"). SQLite: a few multi-row inserts
   * written into the open group of the call path's transactions, sharing their commit (a background
   * write: a read commits the group first, so it sees them); PostgreSQL: one named statement over
   * arrays in one grouped transaction. The batch is stored or refused as a whole.
   */
  async insert(entries: readonly TimelineEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const sqlite = this.#store.sqliteSession;
    if (sqlite) return sqlite.write(() => sqliteInsert(sqlite, toChunks(entries)));
    const rows = toChunks(entries);
    await this.#store.transaction(async (tx) => {
      if (tx.pgQuery) await tx.pgQuery(PG_INSERT_SQL, pgColumns(rows));
      else await this.#db(tx.db).insertInto('timeline_entries').values(rows).execute();
    });
  }

  /** One page of the entries of a call, activeflow or conference of `customerId`, in (tm, seq) order. */
  async list(q: TimelineListQuery): Promise<TimelinePage> {
    const after = q.pageToken ? decodeCursor(q.pageToken) : undefined;
    if (!q.callId && !q.activeflowId && !q.conferenceId) return { items: [], next_page_token: '' };
    let query = this.#db()
      .selectFrom('timeline_entries')
      .selectAll()
      .where('customer_id', '=', q.customerId)
      .where((eb) => {
        const of = [];
        if (q.callId) of.push(eb('call_id', '=', q.callId));
        // The `<> nil` terms let the partial indexes of migration 0020 serve these reads.
        if (q.activeflowId)
          of.push(eb.and([eb('activeflow_id', '=', q.activeflowId), eb('activeflow_id', '<>', NIL_UUID)]));
        if (q.conferenceId)
          of.push(eb.and([eb('conference_id', '=', q.conferenceId), eb('conference_id', '<>', NIL_UUID)]));
        return eb.or(of);
      });
    // A chunk whose entries all come before the cursor has nothing for this page.
    if (after) query = query.where('tm_last', '>=', after.tm);
    const rows = await query
      .orderBy('tm_first')
      .orderBy('id')
      .limit(MAX_CHUNKS_READ + 1)
      .execute();
    // Past the cap, entries at or after the first unread chunk's start may be missing: leave them for
    // the next page.
    const cut = rows.length > MAX_CHUNKS_READ ? rows.pop()!.tm_first : undefined;
    const kinds = q.kinds && q.kinds.length > 0 ? new Set<string>(q.kinds) : undefined;
    const entries: TimelineEntry[] = [];
    for (const row of rows)
      for (const e of decodeChunk(row))
        if ((!kinds || kinds.has(e.kind)) && (!after || compare(e, after) > 0) && (!cut || e.tm < cut)) entries.push(e);
    entries.sort(compare);
    const items = entries.slice(0, q.limit);
    const last = items.at(-1);
    const more = entries.length > q.limit || (cut !== undefined && last !== undefined);
    return {
      items,
      next_page_token: more && last ? encodeCursor({ tm: last.tm, seq: last.seq, id: last.id }) : '',
    };
  }

  /**
   * Deletes entries older than `iso` from up to `limit` chunks and returns how many entries went (the
   * retention purge loops). It walks the chunks by their time-ordered ids (UUIDv7: the first 48 bits
   * are the millisecond) over the primary key: a chunk whose last entry is older than `iso` is deleted;
   * one that straddles it (rare: a flush spans a moment) is rewritten without its older entries.
   */
  async purgeBefore(iso: string, limit: number): Promise<number> {
    const db = this.#db();
    const chunks = await db
      .selectFrom('timeline_entries')
      .select(['id', 'tm_last', 'count'])
      .where('id', '<', uuidV7Floor(Date.parse(iso)))
      .where('tm_first', '<', iso)
      .limit(limit)
      .execute();
    const whole = chunks.filter((c) => c.tm_last < iso);
    let removed = 0;
    if (whole.length > 0) {
      await db
        .deleteFrom('timeline_entries')
        .where(
          'id',
          'in',
          whole.map((c) => c.id),
        )
        .execute();
      for (const c of whole) removed += Number(c.count);
    }
    for (const c of chunks) if (c.tm_last >= iso) removed += await this.#trim(c.id, iso);
    return removed;
  }

  /** Rewrites chunk `id` without its entries older than `iso`; returns how many went. */
  async #trim(id: string, iso: string): Promise<number> {
    const db = this.#db();
    const row = await db.selectFrom('timeline_entries').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return 0;
    const kept = decodeChunk(row).filter((e) => e.tm >= iso);
    const [chunk] = toChunks(kept);
    if (!chunk) {
      await db.deleteFrom('timeline_entries').where('id', '=', id).execute();
      return Number(row.count);
    }
    const { id: newId, tm_first, tm_last, count, data } = chunk;
    await db
      .updateTable('timeline_entries')
      .set({ id: newId, tm_first, tm_last, count, data })
      .where('id', '=', id)
      .execute();
    return Number(row.count) - count;
  }
}

/** The smallest UUIDv7 of millisecond `ms`: every id made in an earlier millisecond sorts before it. */
export function uuidV7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-0000-000000000000`;
}
