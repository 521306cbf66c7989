// TransferService: the transfers of this process (docs/calls.md "Transfer"): creation (blind,
// attended, REFER with Replaces), lookup, complete and cancel, the calls each keeps from other
// transfers, and crash-safety reconciliation. How a running transfer moves on is transfer-progress.ts.
import { InvalidStateError, NotFoundError, SerialQueue, TypedEmitter, newId } from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { validateAddress } from './address.ts';
import { isoTime } from './call.ts';
import type { CallEvent } from './call-events.ts';
import type { MediaPort } from './ports.ts';
import { createdTransferChange, isTransferEnded, newTransfer, requireTransferStatus } from './transfer.ts';
import type { Transfer, TransferEvent, TransferStorePort, TransferType } from './transfer.ts';
import { blindParties, dialTransferee, endLeftoverTransfers } from './transfer-parties.ts';
import { TransferProgress } from './transfer-progress.ts';
import type { LiveTransfer } from './transfer-progress.ts';
import { farEndOf, replaceParties, replacePartyIds } from './transfer-replace.ts';
import type { ReplaceRequest } from './transfer-replace.ts';
import { parkCaller } from './transfer-steps.ts';
import type { TransferCalls, TransferStepContext } from './transfer-steps.ts';

/** `POST /transfers` as the domain takes it; the transferee address is validated here. */
export interface TransferRequest {
  customer_id: string;
  type: TransferType;
  transferer_call_id: string;
  transferee: unknown;
}

/** What TransferService is built from. */
export interface TransferServiceDeps {
  calls: TransferCalls;
  media: MediaPort;
  store: TransferStorePort;
  clock: Clock;
  logger: Logger;
}

/** A store that keeps nothing: transfers then live in memory only, their events reach in-process listeners. */
export const memoryTransferStore: TransferStorePort = {
  save: async () => {},
  get: async () => undefined,
  listUnfinished: async () => [],
};

/**
 * Blind and attended transfers (docs/calls.md "Transfer") composed on the calls ports: the agent's call
 * (`transferer_call_id`) must be chained to the caller's call; the transferee is dialled chained to
 * the caller's call; on answer (blind) or `complete` (attended) the caller is bridged to the
 * transferee and the agent's call hangs up; if the transferee fails, or on `cancel`, the caller is
 * bridged back to the agent. A phone's REFER with Replaces (`replace`) joins the far ends of the
 * phone's two calls. Every change is stored (row and events) before anyone is told; a transfer a
 * previous process left running ends `failed` (`restart`) at start (`reconcile`). Operations on one
 * transfer run one at a time.
 */
export class TransferService {
  readonly #deps: TransferServiceDeps;
  readonly #ctx: TransferStepContext;
  readonly #live = new Map<string, LiveTransfer>();
  /** Calls taking part in a transfer that has not ended, so a second transfer of them is refused. */
  readonly #busyCalls = new Set<string>();
  readonly #emitter: TypedEmitter<{ event: [TransferEvent] }>;
  readonly #background = new Set<Promise<unknown>>();
  readonly #progress: TransferProgress;

  constructor(deps: TransferServiceDeps) {
    this.#deps = deps;
    this.#ctx = { calls: deps.calls, media: deps.media, logger: deps.logger.child({ module: 'transfers' }) };
    this.#emitter = new TypedEmitter({
      onListenerError: (err) => this.#ctx.logger.error({ err }, 'a transfer event listener threw'),
    });
    this.#progress = new TransferProgress({
      ctx: this.#ctx,
      clock: deps.clock,
      store: deps.store,
      emit: (event) => this.#emitter.safeEmit('event', event),
      release: (live) => this.#release(live),
    });
    deps.calls.onEvent((event) => this.#onCallEvent(event));
  }

  /** Subscribes to committed transfer events, in order; returns the unsubscribe function. */
  onEvent(listener: (event: TransferEvent) => void): () => void {
    return this.#emitter.on('event', listener);
  }

  /** Validates, dials the transferee chained to the caller's call and takes the caller from the agent. */
  async create(request: TransferRequest): Promise<Transfer> {
    const transferee = validateAddress(request.transferee, 'transferee');
    const { agent, caller } = await blindParties(this.#deps.calls, request.customer_id, request.transferer_call_id);
    const parties = this.#reserve([agent.id, caller.id]);
    try {
      const transfereeCall = await dialTransferee(this.#deps.calls, request.customer_id, caller, transferee);
      const transfer = newTransfer(
        {
          id: newId(),
          customer_id: request.customer_id,
          type: request.type,
          transferer_call_id: agent.id,
          transferred_call_id: caller.id,
          transferee,
          transferee_call_id: transfereeCall.id,
        },
        isoTime(this.#deps.clock.now()),
      );
      const live: LiveTransfer = { transfer, queue: new SerialQueue(), agentHeld: false, parties };
      this.#live.set(transfer.id, live);
      await live.queue.run(async () => {
        await this.#progress.commit(live, createdTransferChange(transfer));
        live.agentHeld = await parkCaller(this.#ctx, transfer);
      });
      return structuredClone(live.transfer);
    } catch (err) {
      for (const id of parties) this.#busyCalls.delete(id);
      throw err;
    }
  }

  /**
   * A phone's REFER with Replaces (docs/calls.md "Transfer", RFC 5589 §7): the far ends of A's two
   * calls are bridged and A's calls end. The transfer is `attended`, goes `initiated → answered →
   * completed` at once (the transferee talks already), and names A's second call `replaced_call_id`.
   * Throws before anything changes when the calls do not qualify (see `replaceParties`).
   */
  async replace(request: ReplaceRequest): Promise<Transfer> {
    const p = await replaceParties(this.#deps.calls, request);
    const parties = this.#reserve(replacePartyIds(p));
    const transfer = newTransfer(
      {
        id: newId(),
        customer_id: request.customer_id,
        type: 'attended',
        transferer_call_id: p.agent.own.id,
        transferred_call_id: p.agent.peer.id,
        transferee: farEndOf(p.consult.peer),
        transferee_call_id: p.consult.peer.id,
        replaced_call_id: p.consult.own.id,
      },
      isoTime(this.#deps.clock.now()),
    );
    const live: LiveTransfer = { transfer, queue: new SerialQueue(), agentHeld: false, parties };
    this.#live.set(transfer.id, live);
    try {
      await live.queue.run(async () => {
        await this.#progress.commit(live, createdTransferChange(transfer));
        await this.#progress.move(live, 'answered');
        await this.#progress.completeReplace(live, p);
      });
    } finally {
      if (!isTransferEnded(live.transfer.status)) this.#release(live);
    }
    return structuredClone(live.transfer);
  }

  /**
   * Crash safety (docs/calls.md "Crash safety"): every stored transfer a previous process left
   * running ends `failed` with `end_reason` `restart` and its events; its calls are ended by the
   * calls' own reconciliation. `lastAliveMs` as for calls: the moment it ends.
   */
  async reconcile(
    options: { nodeId?: string | undefined; lastAliveMs?: number | undefined } = {},
  ): Promise<Transfer[]> {
    const ended = await endLeftoverTransfers(this.#deps, (id) => this.#live.has(id), options);
    for (const change of ended) for (const event of change.events) this.#emitter.safeEmit('event', event);
    return ended.map((c) => c.transfer);
  }

  /** The transfer as it is now, or undefined (also for another customer's transfer when `customerId` is given). */
  get(transferId: string, customerId?: string): Transfer | undefined {
    const live = this.#live.get(transferId);
    if (!live || (customerId !== undefined && live.transfer.customer_id !== customerId)) return undefined;
    return structuredClone(live.transfer);
  }

  /** Attended: bridges the caller to the transferee the agent talked to, and hangs the agent's call up. */
  complete(transferId: string, customerId: string): Promise<Transfer> {
    return this.#operate(transferId, customerId, async (live) => {
      if (live.transfer.type !== 'attended') {
        throw new InvalidStateError(
          `transfer ${transferId} is blind: it completes when the transferee answers`,
          'TRANSFER_STATE_INVALID',
        );
      }
      requireTransferStatus(live.transfer, ['answered'], 'complete');
      await this.#progress.complete(live);
    });
  }

  /** Hangs up the transferee's call and gives the caller back to the agent. */
  cancel(transferId: string, customerId: string): Promise<Transfer> {
    return this.#operate(transferId, customerId, async (live) => {
      requireTransferStatus(live.transfer, ['initiated', 'ringing', 'answered'], 'cancel');
      await this.#progress.end(live, 'canceled');
    });
  }

  /** Resolves once no queued transfer step is left. */
  async whenIdle(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  async #operate(transferId: string, customerId: string, op: (live: LiveTransfer) => Promise<void>): Promise<Transfer> {
    const live = this.#live.get(transferId);
    if (!live || live.transfer.customer_id !== customerId)
      throw new NotFoundError('TRANSFER_NOT_FOUND', `transfer ${transferId} does not exist`);
    return live.queue.run(async () => {
      await op(live);
      return structuredClone(live.transfer);
    });
  }

  #onCallEvent(event: CallEvent): void {
    const { call } = event;
    if (event.type !== 'call_updated') return;
    for (const live of this.#live.values()) {
      const t = live.transfer;
      if (call.id !== t.transferee_call_id && call.id !== t.transferred_call_id) continue;
      const work = live.queue.run(() => this.#progress.onPartyChanged(live, call));
      const tracked = work.catch((err: unknown) =>
        this.#ctx.logger.error({ err, transfer_id: t.id }, 'transfer step failed'),
      );
      this.#background.add(tracked);
      void tracked.finally(() => this.#background.delete(tracked));
    }
  }

  /** Keeps `ids` from other transfers; 409 `TRANSFER_IN_PROGRESS` when one of them is taken. */
  #reserve(ids: readonly string[]): readonly string[] {
    const taken = ids.find((id) => this.#busyCalls.has(id));
    if (taken !== undefined)
      throw new InvalidStateError(`call ${taken} is already being transferred`, 'TRANSFER_IN_PROGRESS');
    for (const id of ids) this.#busyCalls.add(id);
    return ids;
  }

  /** The calls may take part in another transfer from now on. */
  #release(live: LiveTransfer): void {
    for (const id of live.parties) this.#busyCalls.delete(id);
  }
}
