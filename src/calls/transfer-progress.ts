// How a running transfer moves on (docs/calls.md "Transfer"): its reactions to its parties' call
// changes, its completion, its end, and each status change stored with its events before anyone is
// told. TransferService (transfer-service.ts) owns the live transfers and runs these on their queues.
import type { Clock, SerialQueue } from '../shared/index.ts';
import type { Call } from './call.ts';
import { isTransferEnded, transferTransition } from './transfer.ts';
import type {
  Transfer,
  TransferChange,
  TransferEndReason,
  TransferEvent,
  TransferStatus,
  TransferStorePort,
} from './transfer.ts';
import { hangUpTransferer, joinReplaced, restoreReplaced } from './transfer-replace.ts';
import type { ReplaceParties } from './transfer-replace.ts';
import {
  bridgeAgentToTransferee,
  endOtherAfterCompletion,
  hangUpAgent,
  joinCallerToTransferee,
  reconnectCallerToAgent,
} from './transfer-steps.ts';
import type { TransferStepContext } from './transfer-steps.ts';

/** A transfer of this process and what only the running process knows about it. */
export interface LiveTransfer {
  transfer: Transfer;
  readonly queue: SerialQueue;
  agentHeld: boolean;
  /** The calls it keeps from other transfers until it ends. */
  readonly parties: readonly string[];
}

/** What TransferProgress is built from. */
export interface TransferProgressDeps {
  ctx: TransferStepContext;
  clock: Clock;
  store: TransferStorePort;
  /** Tells in-process listeners of a committed event. */
  emit(event: TransferEvent): void;
  /** The transfer's calls may take part in another transfer from now on. */
  release(live: LiveTransfer): void;
}

/** The steps of running transfers; each is called on the transfer's queue. */
export class TransferProgress {
  readonly #deps: TransferProgressDeps;

  constructor(deps: TransferProgressDeps) {
    this.#deps = deps;
  }

  /** A party's call (`call`: the caller's or the transferee's) changed. */
  async onPartyChanged(live: LiveTransfer, call: Call): Promise<void> {
    const t = live.transfer;
    const ctx = this.#deps.ctx;
    if (call.id === t.transferred_call_id) {
      // The caller hung up: the transferee's call follows by the chaining cascade.
      if (call.status === 'hangup' && !isTransferEnded(t.status)) await this.move(live, 'failed', 'caller_hangup');
      if (call.status === 'hangup' && t.status === 'completed') await endOtherAfterCompletion(ctx, t, call.id);
      if (call.status === 'hangup') this.#deps.release(live);
      return;
    }
    if (t.status === 'completed') {
      if (call.status === 'hangup') await endOtherAfterCompletion(ctx, t, call.id);
      return;
    }
    if (isTransferEnded(t.status)) return;
    if (call.status === 'ringing' && t.status === 'initiated') await this.move(live, 'ringing');
    else if (call.status === 'progressing' && t.status !== 'answered') await this.#answered(live);
    else if (call.status === 'hangup' || call.status === 'canceling' || call.status === 'terminating')
      await this.end(live, 'failed');
  }

  async #answered(live: LiveTransfer): Promise<void> {
    await this.move(live, 'answered');
    if (live.transfer.type === 'blind') await this.complete(live);
    else await bridgeAgentToTransferee(this.#deps.ctx, live.transfer);
  }

  /** Bridges the caller to the transferee and hangs the agent's call up; ends `failed` when the bridge fails. */
  async complete(live: LiveTransfer): Promise<void> {
    if (await joinCallerToTransferee(this.#deps.ctx, live.transfer)) {
      await this.move(live, 'completed');
      await hangUpAgent(this.#deps.ctx, live.transfer);
      this.#deps.release(live);
    } else {
      await this.end(live, 'failed', 'bridge_failed');
    }
  }

  /** A REFER with Replaces: joins the far ends and hangs up the transferer's calls, or restores them. */
  async completeReplace(live: LiveTransfer, parties: ReplaceParties): Promise<void> {
    const ctx = this.#deps.ctx;
    let joined = false;
    try {
      joined = await joinReplaced(ctx, parties);
    } catch (err) {
      ctx.logger.warn({ err, transfer_id: live.transfer.id }, 'transfer: bridging the far ends failed');
    }
    if (!joined) {
      await this.move(live, 'failed', 'bridge_failed');
      await restoreReplaced(ctx, parties);
      this.#deps.release(live);
      return;
    }
    await this.move(live, 'completed');
    await hangUpTransferer(ctx, parties);
    this.#deps.release(live);
  }

  /** Ends the transfer `failed` or `canceled` and gives the caller back to the agent. */
  async end(live: LiveTransfer, status: 'failed' | 'canceled', reason?: TransferEndReason): Promise<void> {
    await this.move(live, status, reason);
    await reconnectCallerToAgent(this.#deps.ctx, live.transfer, live.agentHeld);
    this.#deps.release(live);
  }

  /** Moves the status through the transfer's table and commits it; a refused move changes nothing. */
  async move(live: LiveTransfer, to: TransferStatus, reason?: TransferEndReason): Promise<void> {
    const change = transferTransition(live.transfer, to, this.#deps.clock.now(), this.#deps.ctx.logger, reason);
    if (change) await this.commit(live, change);
  }

  /** Stores `change` (row and events), makes it current, then tells in-process listeners. */
  async commit(live: LiveTransfer, change: TransferChange): Promise<void> {
    await this.#deps.store.save(change);
    live.transfer = change.transfer;
    for (const event of change.events) this.#deps.emit(event);
  }
}
