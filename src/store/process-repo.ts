import type { Kysely } from 'kysely';
import { AppError, isoTime, newId } from '../shared/index.ts';
import type { Clock, Logger, TimerHandle } from '../shared/index.ts';
import type { Database } from './database.ts';

/** How often a running process writes its heartbeat: the error bound of a crashed call's `tm_hangup`. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A process whose heartbeat is older than this is gone (three missed beats). */
export const HEARTBEAT_STALE_MS = 3 * HEARTBEAT_INTERVAL_MS;
/** In a cluster every node beats this often (docs/cluster.md). */
export const CLUSTER_HEARTBEAT_INTERVAL_MS = 2_000;
/** In a cluster a node whose last beat is older than this is dead (docs/cluster.md). */
export const CLUSTER_HEARTBEAT_STALE_MS = 10_000;

/** How often a process beats and when a silent one counts as gone. */
export interface HeartbeatTiming {
  intervalMs: number;
  staleMs: number;
}

/** The timing of one node alone (SQLite, or PostgreSQL without NATS) or of a cluster node. */
export function heartbeatTiming(cluster: boolean): HeartbeatTiming {
  return cluster
    ? { intervalMs: CLUSTER_HEARTBEAT_INTERVAL_MS, staleMs: CLUSTER_HEARTBEAT_STALE_MS }
    : { intervalMs: HEARTBEAT_INTERVAL_MS, staleMs: HEARTBEAT_STALE_MS };
}

/** A row of `process_heartbeats` (migrations 0009, 0011). */
interface HeartbeatRow {
  id: string;
  node_id: string;
  tm_start: string;
  tm_beat: string;
  /** '' while the process runs; its stop time once it stopped cleanly. */
  tm_stop: string;
}

/** How a process enters (see {@link ProcessRepo.register}). */
export interface RegisterOptions {
  /** The node id given to openStore (the default); another one is refused. */
  nodeId?: string;
  /** Cluster mode (CALLBIN_NATS_URL set): other nodes share the database (docs/cluster.md). */
  cluster?: boolean;
}

/**
 * The processes using the store and when each was last known alive (crash recovery, see
 * docs/architecture.md; dead nodes, docs/cluster.md): a restarted process ends the calls its
 * predecessor left live at that predecessor's last heartbeat, and frees the `Idempotency-Key`s it
 * left reserved; in a cluster the survivors of a dead node claim it once and reconcile it.
 */
export interface ProcessRepo {
  /** This process's id in `process_heartbeats`. */
  readonly id: string;
  /** The node id of this store (openStore's `nodeId`), written on this process's row. */
  readonly nodeId: string;
  /** The heartbeat interval and stale time chosen by {@link register} (a single node's before it). */
  readonly timing: HeartbeatTiming;
  /**
   * Enter this process (started at `nowIso`) and forget its predecessors, resolving with their last
   * heartbeat (undefined when none left one):
   * - SQLite: every other row (one process owns the file);
   * - PostgreSQL alone: AppError `DATABASE_IN_USE` when a running process of another node id beat
   *   within the stale time (rows without a node id are older versions' and never refuse); rows of
   *   this node id (its previous incarnation), stopped and stale ones are forgotten;
   * - cluster: only the rows of this node id; other nodes' rows are the dead-node watcher's.
   */
  register(nowIso: string, opts?: RegisterOptions): Promise<string | undefined>;
  /** Record that this process is alive at `nowIso`. */
  beat(nowIso: string): Promise<void>;
  /** A clean stop at `nowIso`: the last beat, and the row no longer counts as a live process. */
  stop(nowIso: string): Promise<void>;
  /**
   * True when a process alive at `nowIso` (this one included) had started at or before `iso`, or
   * when no process registered at all (nothing is known to be gone).
   */
  aliveSince(iso: string, nowIso: string): Promise<boolean>;
  /** The node ids other than this one none of whose rows is alive (beat within `staleMs`, not stopped). */
  deadNodes(nowIso: string, staleMs: number): Promise<string[]>;
  /**
   * Claim dead node `nodeId` for reconciliation: delete its rows when none of them is alive. True
   * only for the one caller whose delete removed them (among survivors, and against the node's own
   * restart), so exactly one process reconciles a dead node. Read {@link lastBeatOf} before.
   */
  claimDeadNode(nodeId: string, nowIso: string, staleMs: number): Promise<boolean>;
  /** The last heartbeat of node `nodeId`'s rows, undefined when it has none. */
  lastBeatOf(nodeId: string): Promise<string | undefined>;
}

function latest(rows: readonly { tm_beat: string }[]): string | undefined {
  return rows.reduce<string | undefined>(
    (max, r) => (max === undefined || r.tm_beat > max ? r.tm_beat : max),
    undefined,
  );
}

function cutoff(nowIso: string, staleMs: number): string {
  return isoTime(Date.parse(nowIso) - staleMs);
}

/** The ProcessRepo over `process_heartbeats` (both dialects). */
export class ProcessTable implements ProcessRepo {
  readonly id = newId();
  readonly nodeId: string;
  // The table is not in the Database type of migration 0001.
  readonly #db: Kysely<any>;
  readonly #singleProcess: boolean;
  #timing = heartbeatTiming(false);

  constructor(db: Kysely<Database>, singleProcess: boolean, nodeId = '') {
    this.#db = db as unknown as Kysely<any>;
    this.#singleProcess = singleProcess;
    this.nodeId = nodeId;
  }

  get timing(): HeartbeatTiming {
    return this.#timing;
  }

  async register(nowIso: string, opts: RegisterOptions = {}): Promise<string | undefined> {
    if (opts.nodeId !== undefined && opts.nodeId !== this.nodeId)
      throw new Error(`register: node id ${opts.nodeId} is not the store's (${this.nodeId})`);
    const cluster = opts.cluster === true && !this.#singleProcess;
    this.#timing = heartbeatTiming(cluster);
    await this.#db
      .insertInto('process_heartbeats')
      .values({ id: this.id, node_id: this.nodeId, tm_start: nowIso, tm_beat: nowIso, tm_stop: '' })
      .execute();
    try {
      if (!this.#singleProcess && !cluster) await this.#refuseOtherNodes(nowIso);
    } catch (err) {
      await this.#db.deleteFrom('process_heartbeats').where('id', '=', this.id).execute();
      throw err;
    }
    // Inserted first and then checked: of two nodes entering at once, neither misses the other.
    let gone = this.#db.deleteFrom('process_heartbeats').where('id', '<>', this.id);
    if (cluster) gone = gone.where('node_id', '=', this.nodeId);
    else if (!this.#singleProcess)
      gone = gone.where((eb) =>
        eb.or([
          eb('node_id', '=', this.nodeId),
          eb('tm_stop', '<>', ''),
          eb('tm_beat', '<', cutoff(nowIso, this.#timing.staleMs)),
        ]),
      );
    return latest((await gone.returning('tm_beat').execute()) as HeartbeatRow[]);
  }

  async #refuseOtherNodes(nowIso: string): Promise<void> {
    const other = (await this.#db
      .selectFrom('process_heartbeats')
      .select(['node_id', 'tm_beat'])
      .where('id', '<>', this.id)
      .where('node_id', 'not in', [this.nodeId, ''])
      .where('tm_stop', '=', '')
      .where('tm_beat', '>=', cutoff(nowIso, this.#timing.staleMs))
      .orderBy('tm_beat', 'desc')
      .limit(1)
      .executeTakeFirst()) as HeartbeatRow | undefined;
    if (other === undefined) return;
    throw new AppError(
      'DATABASE_IN_USE',
      `another callbin node uses this database (node ${other.node_id}, last alive ${other.tm_beat}); several nodes need ` +
        `CALLBIN_NATS_URL (docs/cluster.md). If that node is gone, start again ${this.#timing.staleMs / 1000} s after its last beat`,
    );
  }

  async beat(nowIso: string): Promise<void> {
    await this.#db.updateTable('process_heartbeats').set({ tm_beat: nowIso }).where('id', '=', this.id).execute();
  }

  async stop(nowIso: string): Promise<void> {
    await this.#db
      .updateTable('process_heartbeats')
      .set({ tm_beat: nowIso, tm_stop: nowIso })
      .where('id', '=', this.id)
      .execute();
  }

  async aliveSince(since: string, nowIso: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('process_heartbeats')
      .select('id')
      .where('tm_start', '<=', since)
      .where('tm_stop', '=', '')
      .where('tm_beat', '>=', cutoff(nowIso, this.#timing.staleMs))
      .limit(1)
      .executeTakeFirst();
    if (row !== undefined) return true;
    // Nobody registered (a store used without startCallbin): nothing is known to be gone.
    const any = await this.#db.selectFrom('process_heartbeats').select('id').limit(1).executeTakeFirst();
    return any === undefined;
  }

  async deadNodes(nowIso: string, staleMs: number): Promise<string[]> {
    const rows = (await this.#db
      .selectFrom('process_heartbeats')
      .select(['node_id', 'tm_beat', 'tm_stop'])
      .where('node_id', '<>', this.nodeId)
      .execute()) as HeartbeatRow[];
    const since = cutoff(nowIso, staleMs);
    const alive = new Set(rows.filter((r) => r.tm_stop === '' && r.tm_beat >= since).map((r) => r.node_id));
    return [...new Set(rows.map((r) => r.node_id))].filter((n) => !alive.has(n)).sort();
  }

  async claimDeadNode(nodeId: string, nowIso: string, staleMs: number): Promise<boolean> {
    const since = cutoff(nowIso, staleMs);
    const removed = await this.#db
      .deleteFrom('process_heartbeats')
      .where('node_id', '=', nodeId)
      .where((eb) => eb.or([eb('tm_stop', '<>', ''), eb('tm_beat', '<', since)]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('process_heartbeats as alive')
              .select('alive.id')
              .where('alive.node_id', '=', nodeId)
              .where('alive.tm_stop', '=', '')
              .where('alive.tm_beat', '>=', since),
          ),
        ),
      )
      .returning('id')
      .execute();
    return removed.length > 0;
  }

  async lastBeatOf(nodeId: string): Promise<string | undefined> {
    const rows = (await this.#db
      .selectFrom('process_heartbeats')
      .select('tm_beat')
      .where('node_id', '=', nodeId)
      .execute()) as HeartbeatRow[];
    return latest(rows);
  }
}

/**
 * Beat every `intervalMs` (the timing {@link ProcessRepo.register} chose) on `clock` until the
 * returned stop function is called; stopping writes the last beat and marks the row stopped, so a
 * clean shutdown leaves its exact end and is not taken for a live node.
 */
export function startHeartbeat(
  processes: ProcessRepo,
  clock: Clock,
  logger: Logger,
  intervalMs: number = processes.timing.intervalMs,
): () => Promise<void> {
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
    }, intervalMs);
  };
  arm();
  return async () => {
    if (stopped) return;
    stopped = true;
    clock.clearTimeout(timer);
    await beating;
    await processes
      .stop(isoTime(clock.now()))
      .catch((err: unknown) => logger.warn({ err }, 'process stop not written'));
  };
}
