import { isoTime, type Clock, type Logger, type TimerHandle } from '../shared/index.ts';
import type { ProcessRepo } from '../store/index.ts';
import { reconcileDeadNode, type DeadNodeReport, type DeadNodeSteps } from './dead-node.ts';

/** What the watcher is built from. */
export interface NodeWatcherOptions {
  processes: Pick<ProcessRepo, 'deadNodes' | 'claimDeadNode' | 'lastBeatOf'>;
  steps: DeadNodeSteps;
  clock: Clock;
  logger: Logger;
  /** How often to look for dead nodes (the heartbeat interval, 2 s in a cluster). */
  intervalMs: number;
  /** A node whose last beat is older than this is dead (10 s in a cluster). */
  staleMs: number;
}

/**
 * Finds dead nodes of the cluster and reconciles each exactly once (docs/cluster.md "Node health"):
 * every `intervalMs` it asks the store for nodes without a live heartbeat, claims each (the claim
 * succeeds for one survivor only) and runs {@link reconcileDeadNode} for the ones it won, with the
 * node's last heartbeat as the time its calls ended. A node that comes back with the same id is a
 * new incarnation with nothing left to reconcile.
 */
export class NodeWatcher {
  readonly #o: NodeWatcherOptions;
  readonly #logger: Logger;
  #timer: TimerHandle | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(options: NodeWatcherOptions) {
    this.#o = options;
    this.#logger = options.logger.child({ module: 'node-watcher' });
  }

  /** Look every `intervalMs` until {@link stop}; the first look is one interval from now. */
  start(): this {
    this.#arm();
    return this;
  }

  /**
   * One look: claims and reconciles the dead nodes found now; resolves with what each reconciliation
   * did, by node id. Looks never overlap (one started during another waits for it).
   */
  check(): Promise<Map<string, DeadNodeReport>> {
    const run = this.#running.then(() => this.#look());
    this.#running = run.catch(() => undefined);
    return run;
  }

  /** Stop looking; resolves once a look in progress has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#o.clock.clearTimeout(this.#timer);
    await this.#running;
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      void this.check()
        .catch((err: unknown) => this.#logger.warn({ err }, 'looking for dead nodes failed'))
        .finally(() => this.#arm());
    }, this.#o.intervalMs);
  }

  async #look(): Promise<Map<string, DeadNodeReport>> {
    const done = new Map<string, DeadNodeReport>();
    const { processes, clock, staleMs, intervalMs } = this.#o;
    for (const nodeId of await processes.deadNodes(isoTime(clock.now()), staleMs)) {
      if (this.#stopped) break;
      // Read before the claim, which deletes the node's rows.
      const lastBeat = await processes.lastBeatOf(nodeId);
      const nowMs = clock.now();
      if (!(await processes.claimDeadNode(nodeId, isoTime(nowMs), staleMs))) continue;
      const lastAliveMs = lastBeat === undefined ? nowMs - staleMs : Date.parse(lastBeat);
      const report = await reconcileDeadNode(this.#o.steps, {
        nodeId,
        lastAliveMs,
        // The node may have leased deliveries until its next beat was due. A live worker's lease
        // lasts one request (5 s at most), so one older than `staleMs - intervalMs` (8 s) is the
        // dead node's: a live node's deliveries are not sent twice.
        leasesUpToMs: Math.min(lastAliveMs + 2 * intervalMs, nowMs - (staleMs - intervalMs)),
        onError: (step, err) => this.#logger.error({ err, node_id: nodeId, step }, 'dead node step failed'),
      });
      // A node that stopped cleanly leaves nothing: only a reconciliation that ended something warns.
      const left = report.calls + report.flows + report.rooms + report.recordings + report.deliveries;
      this.#logger[left > 0 || report.failed.length > 0 ? 'warn' : 'info'](
        { node_id: nodeId, last_beat: lastBeat, ...report },
        `node ${nodeId} is gone: reconciled ${report.calls} calls, ${report.flows} activeflows, ${report.rooms} conference rooms`,
      );
      done.set(nodeId, report);
    }
    return done;
  }
}
