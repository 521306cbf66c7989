import pg from 'pg';

/** One table's counters (pg_stat_user_tables of the run's database). */
export interface TableCounters {
  seqScans: number;
  seqRowsRead: number;
  indexScans: number;
  inserted: number;
  updated: number;
  deleted: number;
}

/**
 * Every table's counters in the database `url` names, read on a connection of its own that is
 * closed before this resolves (its backend's own statistics reach the shared view at its exit,
 * i.e. before a later read of pg_stat_database).
 */
export async function readTableCounters(url: string): Promise<Record<string, TableCounters>> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query(
      `select relname, seq_scan, seq_tup_read, idx_scan, n_tup_ins, n_tup_upd, n_tup_del
         from pg_stat_user_tables order by relname`,
    );
    const out: Record<string, TableCounters> = {};
    for (const r of rows) {
      out[String(r.relname)] = {
        seqScans: Number(r.seq_scan ?? 0),
        seqRowsRead: Number(r.seq_tup_read ?? 0),
        indexScans: Number(r.idx_scan ?? 0),
        inserted: Number(r.n_tup_ins ?? 0),
        updated: Number(r.n_tup_upd ?? 0),
        deleted: Number(r.n_tup_del ?? 0),
      };
    }
    return out;
  } finally {
    await client.end();
  }
}

/** `after − before` per table, per successful call, keeping only tables with any activity. */
export function tableCountersPerCall(
  before: Record<string, TableCounters>,
  after: Record<string, TableCounters>,
  calls: number,
): Record<string, TableCounters> {
  const out: Record<string, TableCounters> = {};
  for (const [table, a] of Object.entries(after)) {
    const b = before[table];
    const per = {} as TableCounters;
    let any = false;
    for (const k of Object.keys(a) as (keyof TableCounters)[]) {
      const d = a[k] - (b?.[k] ?? 0);
      if (d !== 0) any = true;
      per[k] = calls > 0 ? d / calls : NaN;
    }
    if (any) out[table] = per;
  }
  return out;
}

/** The tables of `perCall` with rows written or read by sequential scans, as one short text. */
export function describeTables(perCall: Record<string, TableCounters>): string {
  const f = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  return Object.entries(perCall)
    .filter(([, t]) => t.inserted + t.updated + t.deleted > 0 || t.seqRowsRead > 0)
    .map(
      ([name, t]) =>
        `${name}: +${f(t.inserted)} ~${f(t.updated)} -${f(t.deleted)}` +
        (t.seqRowsRead > 0 ? `, seq-read ${f(t.seqRowsRead)} rows in ${f(t.seqScans)} scans` : ''),
    )
    .join('; ');
}
