import type { Kysely } from 'kysely';
import { isoTime, newId } from '../shared/index.ts';
import type { Clock, Logger, TimerHandle } from '../shared/index.ts';
import type { Database } from './database.ts';

/** How often a running process writes its heartbeat: the error bound of a crashed call's `tm_hangup`. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A process whose heartbeat is older than this is gone (three missed beats). */
export const HEARTBEAT_STALE_MS = 3 * HEARTBEAT_INTERVAL_MS;

/** A row of `process_heartbeats` (migration 0009). */
interface HeartbeatRow {
  id: string;
  tm_start: string;
  tm_beat: string;
}

/**
 * The processes using the store and when each was last known alive (crash recovery, see
 * docs/architecture.md): a restarted process ends the calls its predecessor left live at that
 * predecessor's last heartbeat, and frees the `Idempotency-Key`s it left reserved.
 */
export interface ProcessRepo {
  /** This process's id in `process_heartbeats`. */
  readonly id: string;
  /**
   * Enter this process (started at `nowIso`) and forget the processes that are gone: on SQLite every
   * other one (one process owns the file), on PostgreSQL those without a recent heartbeat. Resolves
   * with the last heartbeat of the processes before it, undefined when none left one.
   */
  register(nowIso: string): Promise<string | undefined>;
  /** Record that this process is alive at `nowIso`. */
  beat(nowIso: string): Promise<void>;
  /**
   * True when a process alive at `nowIso` (this one included) had started at or before `iso`, or
   * when no process registered at all (nothing is known to be gone).
   */
  aliveSince(iso: string, nowIso: string): Promise<boolean>;
}

/** The ProcessRepo over `process_heartbeats` (both dialects). */
export class ProcessTable implements ProcessRepo {
  readonly id = newId();
  // The table is not in the Database type of migration 0001.
  readonly #db: Kysely<any>;
  readonly #singleProcess: boolean;

  constructor(db: Kysely<Database>, singleProcess: boolean) {
    this.#db = db as unknown as Kysely<any>;
    this.#singleProcess = singleProcess;
  }

  async register(nowIso: string): Promise<string | undefined> {
    const rows = (await this.#db.selectFrom('process_heartbeats').selectAll().execute()) as HeartbeatRow[];
    const last = rows.reduce<string | undefined>(
      (max, r) => (max === undefined || r.tm_beat > max ? r.tm_beat : max),
      undefined,
    );
    let gone = this.#db.deleteFrom('process_heartbeats');
    if (!this.#singleProcess) gone = gone.where('tm_beat', '<', isoTime(Date.parse(nowIso) - HEARTBEAT_STALE_MS));
    await gone.execute();
    await this.#db
      .insertInto('process_heartbeats')
      .values({ id: this.id, tm_start: nowIso, tm_beat: nowIso })
      .execute();
    return last;
  }

  async beat(nowIso: string): Promise<void> {
    await this.#db.updateTable('process_heartbeats').set({ tm_beat: nowIso }).where('id', '=', this.id).execute();
  }

  async aliveSince(since: string, nowIso: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('process_heartbeats')
      .select('id')
      .where('tm_start', '<=', since)
      .where('tm_beat', '>=', isoTime(Date.parse(nowIso) - HEARTBEAT_STALE_MS))
      .limit(1)
      .executeTakeFirst();
    if (row !== undefined) return true;
    // Nobody registered (a store used without startCallbin): nothing is known to be gone.
    const any = await this.#db.selectFrom('process_heartbeats').select('id').limit(1).executeTakeFirst();
    return any === undefined;
  }
}

/**
 * Beat every {@link HEARTBEAT_INTERVAL_MS} on `clock` until the returned stop function is called;
 * stopping beats once more, so a clean shutdown leaves its exact end.
 */
export function startHeartbeat(processes: ProcessRepo, clock: Clock, logger: Logger): () => Promise<void> {
  let timer: TimerHandle | undefined;
  let stopped = false;
  let beating: Promise<void> = Promise.resolve();
  const beat = () => {
    beating = processes
      .beat(isoTime(clock.now()))
      .catch((err: unknown) => logger.warn({ err }, 'process heartbeat not written'));
    return beating;
  };
  const arm = () => {
    timer = clock.setTimeout(() => {
      if (stopped) return;
      arm();
      void beat();
    }, HEARTBEAT_INTERVAL_MS);
  };
  arm();
  return async () => {
    if (stopped) return;
    stopped = true;
    clock.clearTimeout(timer);
    await beating;
    await beat();
  };
}
