import type { Kysely } from 'kysely';
import { NIL_UUID, ValidationError } from '../shared/index.ts';
import type { TimelineEntry, TimelineKind } from '../timeline/index.ts';
import type { Store } from './open-store.ts';

/** A timeline entry as stored (docs/timeline.md "Entries"): `data` is JSON text. */
export type TimelineRow = {
  id: string;
  customer_id: string;
  call_id: string;
  activeflow_id: string;
  conference_id: string;
  tm: string;
  seq: number;
  kind: string;
  summary: string;
  data: string;
};

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

function toRow(e: TimelineEntry): TimelineRow {
  return {
    id: e.id,
    customer_id: e.customer_id,
    call_id: e.call_id,
    activeflow_id: e.activeflow_id,
    conference_id: e.conference_id,
    tm: e.tm,
    seq: e.seq,
    kind: e.kind,
    summary: e.summary,
    data: JSON.stringify(e.data),
  };
}

/** Writes `entries` in chunks of {@link SQLITE_CHUNKS} rows; the parameters of a chunk in one array. */
function sqliteInsert(session: TimelineSqliteWriter, entries: readonly TimelineEntry[]): void {
  let at = 0;
  for (const size of SQLITE_CHUNKS) {
    if (entries.length - at < size) continue;
    const statement = session.statement(SQLITE_INSERT_SQL.get(size)!);
    const params: unknown[] = new Array(size * COLUMN_COUNT);
    while (entries.length - at >= size) {
      let p = 0;
      for (let i = at; i < at + size; i++) {
        const e = entries[i]!;
        params[p++] = e.id;
        params[p++] = e.customer_id;
        params[p++] = e.call_id;
        params[p++] = e.activeflow_id;
        params[p++] = e.conference_id;
        params[p++] = e.tm;
        params[p++] = e.seq;
        params[p++] = e.kind;
        params[p++] = e.summary;
        params[p++] = JSON.stringify(e.data);
      }
      statement.run(params);
      at += size;
    }
  }
}

/** The ten column arrays of {@link PG_INSERT_SQL}. */
function pgColumns(entries: readonly TimelineEntry[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: COLUMN_COUNT }, () => new Array(entries.length));
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    columns[0]![i] = e.id;
    columns[1]![i] = e.customer_id;
    columns[2]![i] = e.call_id;
    columns[3]![i] = e.activeflow_id;
    columns[4]![i] = e.conference_id;
    columns[5]![i] = e.tm;
    columns[6]![i] = e.seq;
    columns[7]![i] = e.kind;
    columns[8]![i] = e.summary;
    columns[9]![i] = JSON.stringify(e.data);
  }
  return columns;
}

function decodeRow(row: TimelineRow): TimelineEntry {
  return {
    id: row.id,
    customer_id: row.customer_id,
    call_id: row.call_id,
    activeflow_id: row.activeflow_id,
    conference_id: row.conference_id,
    tm: row.tm,
    // PostgreSQL's bigint arrives as a string from pg.
    seq: Number(row.seq),
    kind: row.kind as TimelineKind,
    summary: row.summary,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}

const COLUMNS = 'id, customer_id, call_id, activeflow_id, conference_id, tm, seq, kind, summary, data';
const COLUMN_COUNT = 10;
/**
 * SQLite: the multi-row statements' sizes, largest first. A batch is written as a few statements of
 * these sizes (33 entries: 16 + 16 + 1), so the session caches five statement texts, not one per
 * batch size.
 */
const SQLITE_CHUNKS = [256, 64, 16, 4, 1] as const;
const sqliteInsertSql = (rows: number): string =>
  `insert into timeline_entries (${COLUMNS}) values ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
const SQLITE_INSERT_SQL = new Map<number, string>(SQLITE_CHUNKS.map((n) => [n, sqliteInsertSql(n)]));
/** PostgreSQL: one statement shape whatever the number of rows (the rows as arrays, unnested). */
const PG_INSERT_SQL =
  `insert into timeline_entries (${COLUMNS}) select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], ` +
  '$5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[])';

/** The SQLite session's part the repository writes through (store/sqlite-session.ts). */
export interface TimelineSqliteWriter {
  statement(sqlText: string): { run(params: unknown[]): unknown };
  write<T>(fn: () => T): Promise<T>;
}

/** What {@link TimelineRepo} needs of the store. */
export type TimelineStore = Pick<Store, 'db' | 'transaction'> & {
  readonly sqliteSession?: TimelineSqliteWriter | undefined;
};

/** The stored timeline: batch inserts from the recorder, paged reads for the API, the retention purge. */
export class TimelineRepo {
  readonly #store: TimelineStore;

  constructor(store: TimelineStore) {
    this.#store = store;
  }

  #db(db: Store['db'] = this.#store.db): Kysely<TimelineTables> {
    return db.withTables<TimelineTables>() as unknown as Kysely<TimelineTables>;
  }

  /**
   * Stores `entries` with cached prepared statements, without kysely (docs/architecture.md "Store").
   * SQLite: a few multi-row inserts written into the open group of the call path's transactions,
   * sharing their commit (a background write: a read commits the group first, so it sees them);
   * PostgreSQL: one named statement over arrays in one grouped transaction.
   */
  async insert(entries: readonly TimelineEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const sqlite = this.#store.sqliteSession;
    if (sqlite) return sqlite.write(() => sqliteInsert(sqlite, entries));
    await this.#store.transaction(async (tx) => {
      if (tx.pgQuery) await tx.pgQuery(PG_INSERT_SQL, pgColumns(entries));
      else await this.#db(tx.db).insertInto('timeline_entries').values(entries.map(toRow)).execute();
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
    if (q.kinds && q.kinds.length > 0) query = query.where('kind', 'in', [...q.kinds]);
    if (after)
      query = query.where((eb) =>
        eb.or([
          eb('tm', '>', after.tm),
          eb.and([eb('tm', '=', after.tm), eb('seq', '>', after.seq)]),
          eb.and([eb('tm', '=', after.tm), eb('seq', '=', after.seq), eb('id', '>', after.id)]),
        ]),
      );
    const rows = await query
      .orderBy('tm')
      .orderBy('seq')
      .orderBy('id')
      .limit(q.limit + 1)
      .execute();
    const items = rows.slice(0, q.limit).map(decodeRow);
    const last = items.at(-1);
    return {
      items,
      next_page_token: rows.length > q.limit && last ? encodeCursor({ tm: last.tm, seq: last.seq, id: last.id }) : '',
    };
  }

  /**
   * Deletes up to `limit` entries older than `iso` (one short statement; the retention purge loops),
   * by their time-ordered ids (UUIDv7: the first 48 bits are the millisecond), over the primary key.
   */
  async purgeBefore(iso: string, limit: number): Promise<number> {
    const db = this.#db();
    const batch = db
      .selectFrom('timeline_entries')
      .select('id')
      .where('id', '<', uuidV7Floor(Date.parse(iso)))
      .limit(limit);
    const result = await db.deleteFrom('timeline_entries').where('id', 'in', batch).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** The smallest UUIDv7 of millisecond `ms`: every id made in an earlier millisecond sorts before it. */
export function uuidV7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-0000-000000000000`;
}
