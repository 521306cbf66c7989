import type { Clock, Logger, TimerHandle } from '../shared/index.ts';

/** What a drain needs from its node; the composition root hands it over. */
export interface DrainTarget {
  /** From now on new calls are refused: INVITE and OPTIONS 503, `POST /calls` NODE_DRAINING, `/health` 503. */
  refuseNewCalls(): void;
  /** The ids of the calls live on this node now. */
  liveCallIds(): readonly string[];
  /** Calls `listener` after any call changed (an event); returns a function that removes it. */
  onCallChange(listener: () => void): () => void;
  /** Ends one live call at the deadline (local hangup, reason `drain`); resolves once that is stored. */
  cutCall(callId: string): Promise<void>;
  /** Closes the node (API, calls, SIP, workers, store). */
  close(): Promise<void>;
}

/** Options of a {@link NodeDrain}. */
export interface NodeDrainOptions {
  clock: Clock;
  logger: Logger;
  /** How long live calls may go on before they are cut (`CALLBIN_DRAIN_SECONDS`). */
  drainSeconds: number;
  target: DrainTarget;
  /** How long the cut calls get to finish their BYE before the node closes anyway (default 5 s). */
  cutGraceMs?: number;
  /** How often the live calls are counted besides after each call change (default 250 ms). */
  pollMs?: number;
}

/** How a drain ended: calls that ended by themselves and calls cut at the deadline. */
export interface DrainOutcome {
  finished: number;
  cut: number;
}

type WaitEnd = 'empty' | 'deadline' | 'now' | 'abandoned';

/**
 * Graceful drain of one node (docs/security.md "Overload"): new calls are refused at once, live calls
 * go on until none is left or `drainSeconds` have passed; the calls still live then are hung up
 * (local, reason `drain`) with their events stored, and the node closes. A second {@link drain}
 * while waiting ends the wait at once, by the same path as the deadline.
 */
export class NodeDrain {
  readonly #o: NodeDrainOptions;
  #done: Promise<DrainOutcome> | undefined;
  #endWait: ((why: WaitEnd) => void) | undefined;
  #abandoned = false;

  constructor(options: NodeDrainOptions) {
    this.#o = options;
  }

  /** True once {@link drain} was called. */
  get draining(): boolean {
    return this.#done !== undefined;
  }

  /** Starts the drain; called again while it waits, cuts the live calls now. Resolves once the node is closed. */
  drain(): Promise<DrainOutcome> {
    if (this.#done) {
      this.#endWait?.('now');
      return this.#done;
    }
    this.#done = this.#run();
    return this.#done;
  }

  /** The node is being closed another way: the drain stops waiting, cuts nothing and closes nothing. */
  abandon(): void {
    this.#abandoned = true;
    this.#endWait?.('abandoned');
  }

  async #run(): Promise<DrainOutcome> {
    const { clock, logger, target, drainSeconds } = this.#o;
    const startMs = clock.now();
    target.refuseNewCalls();
    const seen = new Set(target.liveCallIds());
    logger.info(
      { live_calls: seen.size, drain_seconds: drainSeconds },
      'draining: new calls are refused; live calls go on until they end or the drain deadline',
    );
    const why = await this.#waitForNoCalls(seen, drainSeconds * 1000, true);
    if (why === 'abandoned' || this.#abandoned) return { finished: seen.size, cut: 0 };
    let cut = 0;
    if (why !== 'empty') {
      const left = target.liveCallIds();
      cut = left.length;
      for (const id of left) {
        void target
          .cutCall(id)
          .catch((err: unknown) => logger.warn({ err, call_id: id }, 'drain: cutting a call failed'));
      }
      // The cut calls end with their BYE answered; one whose far end stays silent is left to close().
      await this.#waitForNoCalls(seen, this.#o.cutGraceMs ?? 5_000, false);
    }
    const outcome = { finished: seen.size - cut, cut };
    if (!this.#abandoned) await target.close();
    logger.info(
      {
        ...outcome,
        ended_by: why === 'empty' ? 'no call left' : why === 'now' ? 'second signal' : 'deadline',
        elapsed_ms: clock.now() - startMs,
      },
      `drained: ${outcome.finished} calls finished, ${outcome.cut} cut; the node is closed`,
    );
    return outcome;
  }

  /** Resolves `empty` once no call is live, or when `ms` have passed, {@link drain} is called again or the drain is abandoned. */
  #waitForNoCalls(seen: Set<string>, ms: number, interruptible: boolean): Promise<WaitEnd> {
    const { clock, target } = this.#o;
    const pollMs = this.#o.pollMs ?? 250;
    return new Promise<WaitEnd>((resolve) => {
      let settled = false;
      let poll: TimerHandle | undefined;
      let soon: TimerHandle | undefined;
      const finish = (why: WaitEnd): void => {
        if (settled) return;
        settled = true;
        off();
        clock.clearTimeout(deadline);
        clock.clearTimeout(poll);
        clock.clearTimeout(soon);
        this.#endWait = undefined;
        resolve(why);
      };
      const check = (): void => {
        const ids = target.liveCallIds();
        for (const id of ids) seen.add(id);
        if (ids.length === 0) finish('empty');
      };
      const schedulePoll = (): void => {
        poll = clock.setTimeout(() => {
          check();
          if (!settled) schedulePoll();
        }, pollMs);
      };
      // A call leaves the live set right after its hangup event: look once that turn is over (one look for a burst).
      const off = target.onCallChange(() => {
        soon ??= clock.setTimeout(() => {
          soon = undefined;
          check();
        }, 0);
      });
      const deadline = clock.setTimeout(() => finish('deadline'), ms);
      this.#endWait = interruptible ? finish : (why) => why === 'abandoned' && finish(why);
      check();
      if (!settled) schedulePoll();
    });
  }
}
