import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { RawQuery } from './table-repo.ts';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { AppError, ValidationError, silentLogger, systemClock } from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import type { Database } from './database.ts';
import { IdempotencyTable } from './idempotency-repo.ts';
import { ProcessTable } from './process-repo.ts';
import { SharedSecretTable, type SharedSecretRepo } from './shared-secret-repo.ts';
import type { ProcessRepo } from './process-repo.ts';
import { CallTable } from './call-repo.ts';
import type { CallRepo } from './call-repo.ts';
import { ActiveflowTable } from './activeflow-repo.ts';
import type { ActiveflowRepo } from './activeflow-repo.ts';
import { RecordingTable } from './recording-repo.ts';
import type { RecordingRepo } from './recording-repo.ts';
import { conferenceTable, conferencecallTable } from './conference-repo.ts';
import type { ConferenceRepo, ConferencecallRepo } from './conference-repo.ts';
import { DeliveryTable } from './delivery-repo.ts';
import type { DeliveryRepo } from './delivery-repo.ts';
import { OutboxTable } from './outbox-repo.ts';
import type { OutboxRepo, TxHandle } from './outbox-repo.ts';
import { CustomerWebhooks } from './customer-webhooks.ts';
import type { CustomerWebhook } from './customer-webhooks.ts';
import { gatedSqliteDialect, heldSqliteDialect } from './sqlite-dialect.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';
import { SqliteSession } from './sqlite-session.ts';
import { PG_LANES, PgSession } from './pg-session.ts';
import type { PgLane } from './pg-session.ts';
import { heldPostgresDialect } from './pg-dialect.ts';
import { PgCustomerWebhooks } from './pg-customer-webhooks.ts';
import { migrationProvider } from './migrations/index.ts';
import { createResourceRepos } from './resource-repos.ts';
import { lockDataDir } from './data-dir-lock.ts';
import type { ResourceRepos } from './resource-repos.ts';
import { RegistrationTable } from './registration-repo.ts';
import type { IdempotencyRepo, RegistrationRepo } from './types.ts';

/** Where and how to open the store. */
export interface StoreOptions {
  /** Directory of the embedded SQLite file `callbin.db` (used when no PostgreSQL URL is given). */
  dataDir: string;
  /** A `postgres://` or `postgresql://` URL selects PostgreSQL. */
  databaseUrl?: string;
  clock?: Clock;
  logger?: Logger;
  /**
   * This node's id (docs/cluster.md), stamped on every call, activeflow, conference, recording and
   * dialog state row this store inserts and on its heartbeat; never changed by an update. Default ''.
   */
  nodeId?: string;
  /**
   * SQLite: own the data directory through `<dataDir>/callbin.lock` while open (default true); a
   * second process gets AppError `DATA_DIR_IN_USE` before the database file is touched. False only
   * for a short admin command run beside the server.
   */
  lock?: boolean;
}

/** One open transaction: write a row change and its events through `db`, atomically. */
export interface StoreTx extends TxHandle {
  readonly db: Kysely<Database>;
  readonly outbox: OutboxRepo;
  readonly deliveries: DeliveryRepo;
  /** Run `fn` once the transaction has committed (never on rollback). */
  afterCommit(fn: () => void): void;
  /** The webhook settings of a live customer, read inside this transaction. */
  customerWebhook(customerId: string): Promise<CustomerWebhook | undefined>;
}

/** The opened database with every repository; later modules add tables through `db`. */
export interface Store extends ResourceRepos {
  readonly dialect: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  readonly idempotency: IdempotencyRepo;
  /** The processes using the store and their heartbeats (crash recovery). */
  readonly processes: ProcessRepo;
  /** Keys every node of a cluster shares (login-token signing, SIP digest nonces). */
  readonly secrets: SharedSecretRepo;
  readonly registrations: RegistrationRepo;
  readonly outbox: OutboxRepo;
  readonly deliveries: DeliveryRepo;
  readonly calls: CallRepo;
  readonly activeflows: ActiveflowRepo;
  readonly recordings: RecordingRepo;
  readonly conferences: ConferenceRepo;
  readonly conferencecalls: ConferencecallRepo;
  /**
   * SQLite: the one connection's session, for repositories that write with its cached prepared
   * statements inside its group commit (store/timeline-repo.ts); undefined on PostgreSQL.
   */
  readonly sqliteSession?: SqliteSession | undefined;
  /**
   * Run `fn` in one transaction; it commits when `fn` resolves and rolls back when it throws. The
   * returned promise (and `afterCommit`) settle only once the transaction is committed; on SQLite
   * the transactions of one event-loop turn share one commit (see SqliteSession).
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Throws AppError `STORE_UNAVAILABLE` when the database cannot answer. */
  ping(): Promise<void>;
  /** Release the connection(s); idempotent. */
  close(): Promise<void>;
}

const SQLITE_BUSY_TIMEOUT_MS = 5000;
const PG_POOL_SIZE = 10;

/**
 * The data directory holds plaintext SIP, provider and webhook secrets in `callbin.db`: it is made
 * 0700 and the database file 0600 whatever the umask, also when they already exist. SQLite creates
 * `-wal` and `-shm` with the database file's mode; ones left by an earlier version are fixed too.
 */
function privateDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  makePrivate(dataDir, 0o700);
}

function privateDatabaseFile(dataDir: string): string {
  const file = join(dataDir, 'callbin.db');
  closeSync(openSync(file, 'a', 0o600));
  makePrivate(file, 0o600);
  return file;
}

function privateJournalFiles(file: string): void {
  for (const suffix of ['-wal', '-shm', '-journal']) {
    if (existsSync(file + suffix)) makePrivate(file + suffix, 0o600);
  }
}

function makePrivate(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (err) {
    throw new AppError(
      'DATA_DIR_NOT_PRIVATE',
      `cannot set mode ${mode.toString(8)} on ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The size a rewound WAL is cut back to. */
const WAL_SIZE_LIMIT_BYTES = 32 * 1024 * 1024;

function sqliteSession(dataDir: string, logger: Logger): SqliteSession {
  const file = privateDatabaseFile(dataDir);
  const database = new SqliteDatabase(file);
  // WAL lets readers proceed during a write; the busy timeout covers a second process on the same file.
  database.pragma('journal_mode = WAL');
  privateJournalFiles(file);
  database.pragma('foreign_keys = ON');
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  // Every store transaction runs in a savepoint (SqliteSession groups them into one commit); its
  // sub-journal holds the first copy of each page it changes, which belongs in memory, not on disk.
  database.pragma('temp_store = MEMORY');
  // Checkpoints run beside the commits, in a worker thread, not inside one (wal-checkpointer.ts).
  database.pragma('wal_autocheckpoint = 0');
  // A rewound WAL is cut back to this size, so a burst does not leave a large file behind.
  database.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  const checkpointer = new WalCheckpointer(file, {
    onError: (err) => logger.warn({ err }, 'WAL checkpoint failed; retried after the next commits'),
  });
  return new SqliteSession(database, checkpointer);
}

function postgresPool(connectionString: string, logger: Logger): pg.Pool {
  // Beside kysely's share, the grouped transactions hold a connection per lane (PgSession).
  const pool = new pg.Pool({ connectionString, max: PG_POOL_SIZE + PG_LANES });
  // An idle client losing its connection emits 'error' on the pool; unhandled, that would end the process.
  pool.on('error', (err) => logger.warn({ err }, 'postgres idle client error'));
  return pool;
}

function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

// Migrations that overwrite secrets kept in clear by older versions (docs/security.md).
const SCRUBBING_MIGRATIONS = new Set(['0007_sip_credentials']);

/** The names of the migrations applied now. */
async function migrate(db: Kysely<Database>, logger: Logger): Promise<string[]> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  const applied: string[] = [];
  for (const r of results ?? []) {
    if (r.status === 'Success') {
      applied.push(r.migrationName);
      logger.info({ migration: r.migrationName }, 'store migration applied');
    }
  }
  if (error === undefined) return applied;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName;
  // No failed migration means the migrator could not even read its bookkeeping: the database is unreachable.
  if (failed === undefined)
    throw new AppError('STORE_UNAVAILABLE', `database is unreachable: ${String(error)}`, { cause: error });
  throw new AppError('STORE_MIGRATION_FAILED', `store migration ${failed} failed: ${String(error)}`, { cause: error });
}

class SqlStore implements Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  readonly customers: ResourceRepos['customers'];
  readonly accesskeys: ResourceRepos['accesskeys'];
  readonly users: ResourceRepos['users'];
  readonly flows: ResourceRepos['flows'];
  readonly numbers: ResourceRepos['numbers'];
  readonly extensions: ResourceRepos['extensions'];
  readonly providers: ResourceRepos['providers'];
  readonly routes: ResourceRepos['routes'];
  readonly idempotency: IdempotencyRepo;
  readonly processes: ProcessRepo;
  readonly secrets: SharedSecretRepo;
  readonly registrations: RegistrationRepo;
  readonly outbox: OutboxRepo;
  readonly deliveries: DeliveryRepo;
  readonly calls: CallRepo;
  readonly activeflows: ActiveflowRepo;
  readonly recordings: RecordingRepo;
  readonly conferences: ConferenceRepo;
  readonly conferencecalls: ConferencecallRepo;
  readonly #session: SqliteSession | undefined;
  /** PostgreSQL: the grouped transactions (PgSession) and what runs on their connection. */
  readonly #pg: { session: PgSession; dbs: Map<PgLane, Kysely<Database>>; webhooks: PgCustomerWebhooks } | undefined;
  readonly #webhooks: CustomerWebhooks;
  readonly #release: () => void;
  #heldDb: Kysely<Database> | undefined;
  #closed = false;

  constructor(
    db: Kysely<Database>,
    clock: Clock,
    o: { session?: SqliteSession | undefined; pg?: PgSession | undefined; nodeId: string; release: () => void },
  ) {
    const { session, nodeId } = o;
    this.#pg = o.pg
      ? {
          session: o.pg,
          dbs: new Map(),
          webhooks: new PgCustomerWebhooks(),
        }
      : undefined;
    this.#release = o.release;
    this.dialect = session ? 'sqlite' : 'postgres';
    this.db = db;
    this.#session = session;
    const raw: RawQuery | undefined = session
      ? (sqlText, params) => session.statement(sqlText).all(params as unknown[]) as Record<string, unknown>[]
      : undefined;
    const repos = createResourceRepos(db, clock, raw);
    this.customers = repos.customers;
    this.accesskeys = repos.accesskeys;
    this.users = repos.users;
    this.flows = repos.flows;
    this.numbers = repos.numbers;
    this.extensions = repos.extensions;
    this.providers = repos.providers;
    this.routes = repos.routes;
    this.idempotency = new IdempotencyTable(db);
    this.processes = new ProcessTable(db, session !== undefined, nodeId);
    this.secrets = new SharedSecretTable(db);
    this.registrations = new RegistrationTable(db, clock);
    this.outbox = new OutboxTable(db, clock, session);
    this.deliveries = new DeliveryTable(db, clock, session, o.pg);
    this.calls = new CallTable(db, clock, session, nodeId);
    this.activeflows = new ActiveflowTable(db, clock, session, nodeId);
    this.#webhooks = new CustomerWebhooks(session);
    this.recordings = new RecordingTable(db, clock, session, nodeId);
    this.conferences = conferenceTable(db, clock, session, nodeId);
    this.conferencecalls = conferencecallTable(db, clock, session);
  }

  get sqliteSession(): SqliteSession | undefined {
    return this.#session;
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const session = this.#session;
    if (session) {
      this.#heldDb ??= new Kysely<Database>({ dialect: heldSqliteDialect(session) });
      const db = this.#heldDb;
      return session.transaction((afterCommit) => fn(this.#tx(db, afterCommit)));
    }
    const pgs = this.#pg;
    if (pgs) {
      return pgs.session.transaction(({ afterCommit, lane }) => {
        let db = pgs.dbs.get(lane);
        if (!db) {
          db = new Kysely<Database>({ dialect: heldPostgresDialect(lane) });
          pgs.dbs.set(lane, db);
        }
        return fn(this.#tx(db, afterCommit, lane));
      });
    }
    const committed: (() => void)[] = [];
    const result = await this.db.transaction().execute((db) => fn(this.#tx(db, (cb) => void committed.push(cb))));
    for (const cb of committed) cb();
    return result;
  }

  #tx(db: Kysely<Database>, afterCommit: (cb: () => void) => void, lane?: PgLane): StoreTx {
    // Within one transaction the same object is usually written as the row and as its events' data.
    let lastValue: unknown;
    let lastJson: string | undefined;
    const pgs = this.#pg;
    const webhooksRead = new Map<string, Promise<CustomerWebhook | undefined>>();
    const pgQuery = lane ? (text: string, values: readonly unknown[]) => lane.query(text, values) : undefined;
    return {
      db,
      outbox: this.outbox,
      deliveries: this.deliveries,
      afterCommit,
      customerWebhook: (customerId) => {
        if (!pgs || !pgQuery) return this.#webhooks.read(db, customerId);
        // PostgreSQL: read once per transaction (a round trip each; its events share one customer).
        let read = webhooksRead.get(customerId);
        if (!read) {
          read = pgs.webhooks.read(pgQuery, customerId);
          webhooksRead.set(customerId, read);
        }
        return read;
      },
      ...(pgQuery ? { pgQuery } : {}),
      jsonOf: (value) => {
        if (lastJson === undefined || value !== lastValue) {
          lastValue = value;
          lastJson = JSON.stringify(value ?? null);
        }
        return lastJson;
      },
    };
  }

  async ping(): Promise<void> {
    try {
      await sql`select 1`.execute(this.db);
    } catch (err) {
      throw new AppError('STORE_UNAVAILABLE', `${this.dialect} database is unreachable`, { cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      // The open group commits before the pool closes.
      await this.#pg?.session.close();
      await this.db.destroy();
    } finally {
      this.#release();
    }
  }
}

/** Open SQLite in `dataDir` (default) or PostgreSQL at `databaseUrl`, and run pending migrations. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  const logger = (opts.logger ?? silentLogger).child({ module: 'store' });
  const url = opts.databaseUrl ?? '';
  if (url !== '' && !isPostgresUrl(url)) {
    throw ValidationError.field(
      'database_url',
      'INVALID_DATABASE_URL',
      'database_url must start with postgres:// or postgresql://',
    );
  }
  let release = () => {};
  let session: SqliteSession | undefined;
  if (url === '') {
    privateDataDir(opts.dataDir);
    // The lock before the database file: a second process must not touch it (docs/cluster.md).
    if (opts.lock !== false) release = await lockDataDir(opts.dataDir);
    try {
      session = sqliteSession(opts.dataDir, logger);
    } catch (err) {
      release();
      throw err;
    }
  }
  const pool = session ? undefined : postgresPool(url, logger);
  const db = new Kysely<Database>({
    dialect: pool ? new PostgresDialect({ pool }) : gatedSqliteDialect(session!),
  });
  try {
    const applied = await migrate(db, logger);
    // An overwritten secret may survive in free pages and the WAL: rebuild the file and empty the WAL.
    if (session && applied.some((m) => SCRUBBING_MIGRATIONS.has(m))) {
      await sql`vacuum`.execute(db);
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    }
  } catch (err) {
    await db.destroy().finally(release);
    throw err;
  }
  const pgSession = pool ? new PgSession(pool) : undefined;
  return new SqlStore(db, opts.clock ?? systemClock, { session, pg: pgSession, nodeId: opts.nodeId ?? '', release });
}
