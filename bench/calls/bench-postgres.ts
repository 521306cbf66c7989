import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** What the database did over a run (pg_stat_database of the run's own database). */
export interface PgActivity {
  commits: number;
  rollbacks: number;
  inserted: number;
  updated: number;
  deleted: number;
  /** Rows read by the statements (index and sequential scans' rows returned). */
  returned: number;
}

/** A fresh database on a PostgreSQL server for one benchmark run; dropped by {@link drop}. */
export interface BenchDatabase {
  /** The URL callbin is given (CALLBIN_DATABASE_URL). */
  url: string;
  name: string;
  /** The activity of the run's database so far (read after callbin stopped: its backends flushed). */
  activity(): Promise<PgActivity>;
  drop(): Promise<void>;
}

/**
 * Creates `callbin_bench_<random>` on the server of `adminUrl` (a URL of any database there the
 * user may create databases from, e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
 */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `callbin_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } catch (err) {
    await admin.end().catch(() => undefined);
    throw err;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    activity: async () => {
      // Statistics reach the shared view when a backend flushes them (at its exit at the latest).
      await admin.query('select pg_stat_clear_snapshot()');
      const { rows } = await admin.query(
        'select xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_returned from pg_stat_database where datname = $1',
        [name],
      );
      const r = rows[0] ?? {};
      return {
        commits: Number(r.xact_commit ?? 0),
        rollbacks: Number(r.xact_rollback ?? 0),
        inserted: Number(r.tup_inserted ?? 0),
        updated: Number(r.tup_updated ?? 0),
        deleted: Number(r.tup_deleted ?? 0),
        returned: Number(r.tup_returned ?? 0),
      };
    },
    drop: async () => {
      try {
        await admin.query(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end().catch(() => undefined);
      }
    },
  };
}

/** `activity` per call, as printed after a run. */
export function formatPgActivity(a: PgActivity, calls: number): string {
  const per = (n: number): string => (calls > 0 ? (n / calls).toFixed(1) : 'n/a');
  return (
    `PostgreSQL per successful call (${calls} calls, whole run incl. set-up): ` +
    `${per(a.commits)} commits, ${per(a.rollbacks)} rollbacks, ${per(a.inserted)} rows inserted, ` +
    `${per(a.updated)} updated, ${per(a.deleted)} deleted`
  );
}
