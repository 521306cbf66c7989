import {
  InvalidStateError,
  NIL_UUID,
  NotFoundError,
  SerialQueue,
  TypedEmitter,
  ValidationError,
  newId,
} from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { validateAddress } from './address.ts';
import type { Address } from './address.ts';
import { isoTime } from './call.ts';
import type { Call } from './call.ts';
import type { CallEvent } from './call-events.ts';
import type { MediaPort } from './ports.ts';
import {
  createdTransferChange,
  isTransferEnded,
  newTransfer,
  requireTransferStatus,
  transferTransition,
} from './transfer.ts';
import type {
  Transfer,
  TransferChange,
  TransferEvent,
  TransferStatus,
  TransferStorePort,
  TransferType,
} from './transfer.ts';
import {
  WAIT_ACTIONS,
  bridgeAgentToTransferee,
  callerIdOf,
  endCallerAfterTransferee,
  hangUpAgent,
  joinCallerToTransferee,
  parkCaller,
  reconnectCallerToAgent,
  requireProgressing,
} from './transfer-steps.ts';
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

/** A transfer of this process and what only the running process knows about it. */
interface LiveTransfer {
  transfer: Transfer;
  readonly queue: SerialQueue;
  agentHeld: boolean;
}

/** A store that keeps nothing: transfers then live in memory only, their events reach in-process listeners. */
export const memoryTransferStore: TransferStorePort = { save: async () => {} };

/**
 * Blind and attended transfers (docs/calls.md "Transfer") composed on the calls ports: the agent's call
 * (`transferer_call_id`) must be chained to the caller's call; the transferee is dialled chained to
 * the caller's call; on answer (blind) or `complete` (attended) the caller is bridged to the
 * transferee and the agent's call hangs up; if the transferee fails, or on `cancel`, the caller is
 * bridged back to the agent. Transfers live in memory (their events are stored through the port);
 * operations on one transfer run one at a time.
 */
export class TransferService {
  readonly #deps: TransferServiceDeps;
  readonly #ctx: TransferStepContext;
  readonly #live = new Map<string, LiveTransfer>();
  /** Calls taking part in a transfer that has not ended, so a second transfer of them is refused. */
  readonly #busyCalls = new Set<string>();
  readonly #emitter: TypedEmitter<{ event: [TransferEvent] }>;
  readonly #background = new Set<Promise<unknown>>();

  constructor(deps: TransferServiceDeps) {
    this.#deps = deps;
    this.#ctx = { calls: deps.calls, media: deps.media, logger: deps.logger.child({ module: 'transfers' }) };
    this.#emitter = new TypedEmitter({
      onListenerError: (err) => this.#ctx.logger.error({ err }, 'a transfer event listener threw'),
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
    const { agent, caller } = await this.#parties(request.customer_id, request.transferer_call_id);
    const parties = [agent.id, caller.id];
    if (parties.some((id) => this.#busyCalls.has(id))) {
      throw new InvalidStateError(`call ${agent.id} is already being transferred`, 'TRANSFER_IN_PROGRESS');
    }
    for (const id of parties) this.#busyCalls.add(id);
    try {
      const transfereeCall = await this.#dialTransferee(request.customer_id, caller, transferee);
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
      const live: LiveTransfer = { transfer, queue: new SerialQueue(), agentHeld: false };
      this.#live.set(transfer.id, live);
      await live.queue.run(async () => {
        await this.#commit(live, createdTransferChange(transfer));
        live.agentHeld = await parkCaller(this.#ctx, transfer);
      });
      return structuredClone(live.transfer);
    } catch (err) {
      for (const id of parties) this.#busyCalls.delete(id);
      throw err;
    }
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
      await this.#complete(live);
    });
  }

  /** Hangs up the transferee's call and gives the caller back to the agent. */
  cancel(transferId: string, customerId: string): Promise<Transfer> {
    return this.#operate(transferId, customerId, async (live) => {
      requireTransferStatus(live.transfer, ['initiated', 'ringing', 'answered'], 'cancel');
      await this.#end(live, 'canceled');
    });
  }

  /** Resolves once no queued transfer step is left. */
  async whenIdle(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  async #parties(customerId: string, transfererCallId: string): Promise<{ agent: Call; caller: Call }> {
    const agent = await this.#deps.calls.get(transfererCallId);
    if (!agent || agent.customer_id !== customerId)
      throw new NotFoundError('CALL_NOT_FOUND', `call ${transfererCallId} does not exist`);
    requireProgressing(agent, 'transferer_call_id');
    if (agent.master_call_id === NIL_UUID) {
      // Hanging up a master would cascade to its chained calls, the caller among them (docs/calls.md "Chaining").
      throw new InvalidStateError(
        `call ${agent.id} is not chained to a caller's call: only the agent's (chained) call can be transferred`,
        'TRANSFER_NOT_SUPPORTED',
      );
    }
    const caller = await this.#deps.calls.get(agent.master_call_id);
    if (!caller) throw new NotFoundError('CALL_NOT_FOUND', `call ${agent.master_call_id} does not exist`);
    requireProgressing(caller, 'transferer_call_id');
    if (this.#deps.calls.legId(agent.id) === undefined || this.#deps.calls.legId(caller.id) === undefined) {
      throw new InvalidStateError(`call ${agent.id} is not bridged to its caller`, 'CALL_STATE_INVALID');
    }
    return { agent, caller };
  }

  async #dialTransferee(customerId: string, caller: Call, transferee: Address): Promise<Call> {
    try {
      const [call] = await this.#deps.calls.createOutgoing({
        customer_id: customerId,
        source: callerIdOf(caller),
        destinations: [transferee],
        actions: WAIT_ACTIONS,
        master_call_id: caller.id,
      });
      if (!call) throw new InvalidStateError('no call was created for the transferee', 'TRANSFER_DIAL_FAILED');
      return call;
    } catch (err) {
      // The domain validates a list of destinations; this request names a single `transferee`.
      if (!(err instanceof ValidationError)) throw err;
      throw new ValidationError(
        err.details.map((d) => ({ ...d, field: d.field.replace(/^destinations\[0\]/, 'transferee') })),
        err.code,
      );
    }
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
      const work = live.queue.run(() => this.#onPartyChanged(live, call));
      const tracked = work.catch((err: unknown) =>
        this.#ctx.logger.error({ err, transfer_id: t.id }, 'transfer step failed'),
      );
      this.#background.add(tracked);
      void tracked.finally(() => this.#background.delete(tracked));
    }
  }

  async #onPartyChanged(live: LiveTransfer, call: Call): Promise<void> {
    const t = live.transfer;
    if (call.id === t.transferred_call_id) {
      // The caller hung up: the transferee's call follows by the chaining cascade.
      if (call.status === 'hangup' && !isTransferEnded(t.status)) await this.#move(live, 'failed');
      if (call.status === 'hangup') this.#release(live);
      return;
    }
    if (t.status === 'completed') {
      if (call.status === 'hangup') {
        await endCallerAfterTransferee(this.#ctx, t);
      }
      return;
    }
    if (isTransferEnded(t.status)) return;
    if (call.status === 'ringing' && t.status === 'initiated') await this.#move(live, 'ringing');
    else if (call.status === 'progressing' && t.status !== 'answered') await this.#answered(live);
    else if (call.status === 'hangup' || call.status === 'canceling' || call.status === 'terminating')
      await this.#end(live, 'failed');
  }

  async #answered(live: LiveTransfer): Promise<void> {
    await this.#move(live, 'answered');
    if (live.transfer.type === 'blind') await this.#complete(live);
    else await bridgeAgentToTransferee(this.#ctx, live.transfer);
  }

  async #complete(live: LiveTransfer): Promise<void> {
    if (await joinCallerToTransferee(this.#ctx, live.transfer)) {
      await this.#move(live, 'completed');
      await hangUpAgent(this.#ctx, live.transfer);
      this.#release(live);
    } else {
      await this.#end(live, 'failed');
    }
  }

  async #end(live: LiveTransfer, status: 'failed' | 'canceled'): Promise<void> {
    await this.#move(live, status);
    await reconnectCallerToAgent(this.#ctx, live.transfer, live.agentHeld);
    this.#release(live);
  }

  async #move(live: LiveTransfer, to: TransferStatus): Promise<void> {
    const change = transferTransition(live.transfer, to, this.#deps.clock.now(), this.#ctx.logger);
    if (change) await this.#commit(live, change);
  }

  async #commit(live: LiveTransfer, change: TransferChange): Promise<void> {
    await this.#deps.store.save(change);
    live.transfer = change.transfer;
    for (const event of change.events) this.#emitter.safeEmit('event', event);
  }

  /** The calls may take part in another transfer from now on. */
  #release(live: LiveTransfer): void {
    this.#busyCalls.delete(live.transfer.transferer_call_id);
    this.#busyCalls.delete(live.transfer.transferred_call_id);
  }
}
