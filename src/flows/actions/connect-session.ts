import type { HangupReason } from '../../calls/index.ts';
import { SerialQueue } from '../../shared/index.ts';
import type { TimerHandle } from '../../shared/index.ts';
import type { CallProgress } from '../ports.ts';
import type { ActionContext } from './action-definition.ts';

/** How the callees of one `connect` are bridged. */
export interface ConnectPlan {
  masterId: string;
  calleeIds: readonly string[];
  ringMethod: 'ring_all' | 'join_all';
  earlyMedia: boolean;
  ringTimeoutMs: number;
}

/** How a `connect` ended. */
export interface ConnectOutcome {
  /** Whether any callee answered. */
  answered: boolean;
  /** The ring timeout expired before anyone answered. */
  timedOut: boolean;
  /** Hangup reasons of the callees that ended without answering. */
  reasons: HangupReason[];
}

type CalleeState = 'dialing' | 'answered' | 'ended';

/**
 * One `connect` in progress: follows the chained callees, bridges the master with those that
 * answer (the first one for `ring_all`, each for `join_all`, where every party hears the others),
 * cancels those no longer wanted, and settles when no bridged or ringing callee is left. With
 * `early_media`, the first callee whose early media starts is bridged before anyone answers and the
 * unanswered master is sent 183 with SDP, not answered (docs/media.md "Early media"). Progress
 * reports are handled one at a time.
 */
export class ConnectSession {
  readonly #ctx: ActionContext;
  readonly #plan: ConnectPlan;
  readonly #state = new Map<string, CalleeState>();
  readonly #bridged = new Set<string>();
  readonly #queue = new SerialQueue();
  readonly #unsubscribes: (() => void)[] = [];
  readonly #outcome: ConnectOutcome = { answered: false, timedOut: false, reasons: [] };
  #masterAnswered = false;
  #masterEarly = false;
  #timer: TimerHandle | undefined;
  #settle: ((err?: unknown) => void) | undefined;

  constructor(ctx: ActionContext, plan: ConnectPlan) {
    this.#ctx = ctx;
    this.#plan = plan;
  }

  /** Resolves when the bridge ended (or nobody answered); rejects with the signal's reason when it aborts. */
  async run(signal: AbortSignal): Promise<ConnectOutcome> {
    const done = new Promise<void>((resolve, reject) => {
      this.#settle = (err) => (err === undefined ? resolve() : reject(err));
    });
    const onAbort = (): void => this.#settle?.(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    for (const id of this.#plan.calleeIds) this.#state.set(id, 'dialing');
    this.#timer = this.#ctx.clock.setTimeout(() => this.#enqueue(() => this.#ringTimeout()), this.#plan.ringTimeoutMs);
    for (const id of this.#plan.calleeIds) {
      this.#unsubscribes.push(this.#ctx.calls.onProgress(id, (p) => this.#enqueue(() => this.#onProgress(id, p))));
    }
    try {
      await done;
      return this.#outcome;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#close();
    }
  }

  #enqueue(work: () => Promise<void>): void {
    void this.#queue.run(work).catch((err: unknown) => this.#settle?.(err));
  }

  async #onProgress(id: string, progress: CallProgress): Promise<void> {
    const state = this.#state.get(id);
    if (state === undefined || state === 'ended' || this.#settle === undefined) return;
    if (progress.kind === 'ringing') {
      const wanted = this.#plan.earlyMedia && progress.early_media && state === 'dialing';
      if (wanted && this.#bridged.size === 0 && !this.#outcome.answered) await this.#bridgeEarly(id);
    } else if (progress.kind === 'answered') {
      if (state === 'dialing') await this.#answered(id);
    } else {
      await this.#ended(id, state, progress.reason);
    }
  }

  async #answered(id: string): Promise<void> {
    const firstAnswer = !this.#outcome.answered;
    if (this.#plan.ringMethod === 'ring_all' && !firstAnswer) {
      this.#state.set(id, 'ended');
      await this.#hangup(id);
      return;
    }
    this.#state.set(id, 'answered');
    this.#outcome.answered = true;
    if (this.#plan.ringMethod === 'ring_all') {
      this.#ctx.clock.clearTimeout(this.#timer);
      for (const [other, s] of this.#state) {
        if (other !== id && s === 'dialing') {
          this.#state.set(other, 'ended');
          await this.#hangup(other);
        }
      }
    }
    // Early media is for before an answer: a callee still ringing stops being heard (it joins when it answers).
    for (const other of [...this.#bridged])
      if (other !== id && this.#state.get(other) !== 'answered') await this.#unbridge(other);
    await this.#bridge(id);
  }

  async #ended(id: string, state: CalleeState, reason: HangupReason): Promise<void> {
    this.#state.set(id, 'ended');
    if (state === 'dialing') this.#outcome.reasons.push(reason);
    if (this.#bridged.has(id)) await this.#unbridge(id);
    this.#settleWhenOver();
  }

  async #ringTimeout(): Promise<void> {
    this.#timer = undefined;
    if (!this.#outcome.answered) this.#outcome.timedOut = true;
    for (const [id, s] of this.#state) {
      if (s !== 'dialing') continue;
      this.#state.set(id, 'ended');
      if (this.#bridged.has(id)) await this.#unbridge(id);
      await this.#hangup(id);
    }
    this.#settleWhenOver();
  }

  #settleWhenOver(): void {
    const live = [...this.#state.values()].some((s) => s !== 'ended');
    if (!live) this.#settle?.();
  }

  /** An answered callee: the master is answered (200) if it was not, then bridged with the callee. */
  async #bridge(id: string): Promise<void> {
    if (!this.#masterAnswered) {
      if (await this.#masterUnanswered()) await this.#ctx.calls.answer(this.#plan.masterId);
      this.#masterAnswered = true;
    }
    await this.#join(id);
  }

  /** A callee's early media: the master hears it, an unanswered master after our 183 with SDP (RFC 3960). */
  async #bridgeEarly(id: string): Promise<void> {
    if (!this.#masterAnswered && !this.#masterEarly) {
      if (await this.#masterUnanswered()) await this.#ctx.calls.answer(this.#plan.masterId, { early: true });
      this.#masterEarly = true;
    }
    await this.#join(id);
  }

  async #masterUnanswered(): Promise<boolean> {
    const master = await this.#ctx.calls.get(this.#plan.masterId);
    return master?.direction === 'incoming' && (master.status === 'ringing' || master.status === 'dialing');
  }

  async #join(id: string): Promise<void> {
    if (this.#bridged.has(id)) return;
    await this.#ctx.calls.bridge(this.#plan.masterId, id, { join: this.#plan.ringMethod === 'join_all' });
    this.#bridged.add(id);
  }

  async #unbridge(id: string): Promise<void> {
    this.#bridged.delete(id);
    await this.#ctx.calls.unbridge(this.#plan.masterId, id);
  }

  async #hangup(id: string): Promise<void> {
    try {
      await this.#ctx.calls.hangup(id, '');
    } catch (err) {
      // The callee may have ended on its own meanwhile; its hangup report follows.
      this.#ctx.logger.debug({ err, callee_call_id: id }, 'connect: callee hangup refused');
    }
  }

  #close(): void {
    this.#settle = undefined;
    this.#ctx.clock.clearTimeout(this.#timer);
    for (const unsubscribe of this.#unsubscribes) unsubscribe();
    // After an abort the bridges and mixes still standing are taken down with the callees.
    for (const id of [...this.#bridged]) this.#ctx.background('connect unbridge', () => this.#unbridge(id));
    for (const [id, s] of this.#state) {
      if (s === 'ended') continue;
      // On abort (master hung up, flow stopped) the callees must not stay up on their own; a callee
      // a transfer took from the master (no longer chained to it, docs/calls.md "Transfer") stays.
      this.#ctx.background('connect cleanup', async () => {
        if ((await this.#ctx.calls.get(id))?.master_call_id !== this.#plan.masterId) return;
        await this.#hangup(id);
      });
    }
  }
}
