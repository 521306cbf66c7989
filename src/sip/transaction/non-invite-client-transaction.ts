import { TypedEmitter } from '../../shared/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import { StateTable } from './state-table.ts';
import { TimerSet } from './timer-set.ts';
import { asTransportError } from './transport-error.ts';
import type { ClientTransactionEvents, TransactionContext } from './transaction-types.ts';

/** States of the non-INVITE client transaction (RFC 3261 §17.1.2.2, Figure 6). */
export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

const TRANSITIONS = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
} as const satisfies Record<NonInviteClientState, readonly NonInviteClientState[]>;

/** The non-INVITE client transaction: Timers E, F and K. */
export class NonInviteClientTransaction extends TypedEmitter<ClientTransactionEvents> {
  /** Discriminates the client transaction kinds. */
  readonly kind = 'non-invite-client' as const;
  /** The request this transaction sends. */
  readonly request: SipRequest;
  readonly #ctx: TransactionContext;
  readonly #fsm: StateTable<NonInviteClientState>;
  readonly #timers: TimerSet<'E' | 'F' | 'K'>;

  constructor(request: SipRequest, ctx: TransactionContext) {
    super();
    this.request = request;
    this.#ctx = ctx;
    this.#fsm = new StateTable(`${request.method} client transaction`, TRANSITIONS, 'trying', ctx.logger);
    this.#timers = new TimerSet(ctx.clock);
  }

  /** The current state. */
  get state(): NonInviteClientState {
    return this.#fsm.state;
  }

  /** Send the request and arm Timers E (unreliable transports only) and F. */
  start(): void {
    const { t1Ms } = this.#ctx.timers;
    this.#transmit();
    if (!this.#ctx.reliable) this.#armTimerE(t1Ms);
    this.#timers.start('F', 64 * t1Ms, () => {
      this.emit('timeout');
      this.#terminate();
    });
  }

  /** Feed a response whose branch and CSeq method match this transaction. */
  receive(res: SipResponse): void {
    const state = this.state;
    // RFC 3261 §17.1.2.2: in Completed, retransmitted responses are absorbed.
    if (state === 'completed' || state === 'terminated') return;
    if (res.status < 200) {
      if (state === 'trying') this.#fsm.move('proceeding');
      this.emit('provisional', res);
      return;
    }
    this.#fsm.move('completed');
    this.#timers.stop('E');
    this.#timers.stop('F');
    this.emit('final', res);
    this.#timers.start('K', this.#ctx.reliable ? 0 : this.#ctx.timers.t4Ms, () => this.#terminate());
  }

  /** Stop every timer without emitting anything (the layer is closing). */
  dispose(): void {
    this.#timers.stopAll();
  }

  // RFC 3261 §17.1.2.2: Timer E doubles up to T2 while Trying, and stays at T2 once Proceeding.
  #armTimerE(intervalMs: number): void {
    this.#timers.start('E', intervalMs, () => {
      if (this.state !== 'trying' && this.state !== 'proceeding') return;
      this.#transmit();
      const { t2Ms } = this.#ctx.timers;
      this.#armTimerE(this.state === 'proceeding' ? t2Ms : Math.min(2 * intervalMs, t2Ms));
    });
  }

  #transmit(): void {
    this.#ctx.send(this.request).catch((err: unknown) => {
      if (this.state === 'terminated') return;
      this.emit('transportError', asTransportError(err));
      this.#terminate();
    });
  }

  #terminate(): void {
    if (!this.#fsm.move('terminated')) return;
    this.#timers.stopAll();
    this.emit('terminated');
  }
}
