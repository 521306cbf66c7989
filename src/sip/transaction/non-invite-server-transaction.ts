import { InvalidStateError, TypedEmitter } from '../../shared/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { MessageSource } from '../transport/index.ts';
import { StateTable } from './state-table.ts';
import { TimerSet } from './timer-set.ts';
import { asTransportError } from './transport-error.ts';
import type { ServerTransactionEvents, TransactionContext } from './transaction-types.ts';

/** States of the non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8). */
export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

const TRANSITIONS = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
} as const satisfies Record<NonInviteServerState, readonly NonInviteServerState[]>;

/** The non-INVITE server transaction: absorbs retransmissions, Timer J. */
export class NonInviteServerTransaction extends TypedEmitter<ServerTransactionEvents> {
  /** Discriminates the server transaction kinds. */
  readonly kind = 'non-invite-server' as const;
  /** The request that created this transaction. */
  readonly request: SipRequest;
  /** Where the request came from. */
  readonly source: MessageSource;
  readonly #ctx: TransactionContext;
  readonly #fsm: StateTable<NonInviteServerState>;
  readonly #timers: TimerSet<'J'>;
  #lastResponse: SipResponse | undefined;

  constructor(request: SipRequest, source: MessageSource, ctx: TransactionContext) {
    super();
    this.request = request;
    this.source = source;
    this.#ctx = ctx;
    this.#fsm = new StateTable(`${request.method} server transaction`, TRANSITIONS, 'trying', ctx.logger);
    this.#timers = new TimerSet(ctx.clock);
  }

  /** The current state. */
  get state(): NonInviteServerState {
    return this.#fsm.state;
  }

  /** The last response sent, if any. */
  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  /** Send a response from the TU; throws InvalidStateError after the final response. */
  respond(res: SipResponse): void {
    const state = this.state;
    if (state !== 'trying' && state !== 'proceeding') {
      throw new InvalidStateError(`${this.request.method} server transaction is ${state}: cannot send ${res.status}`);
    }
    this.#lastResponse = res;
    this.#transmit(res);
    if (res.status < 200) {
      if (state === 'trying') this.#fsm.move('proceeding');
      return;
    }
    this.#fsm.move('completed');
    this.#timers.start('J', this.#ctx.reliable ? 0 : 64 * this.#ctx.timers.t1Ms, () => this.#terminate());
  }

  /** Feed a retransmission of the request: RFC 3261 §17.2.2 resends the last response, if any. */
  receiveRequest(_req: SipRequest): boolean {
    if (this.state !== 'terminated' && this.#lastResponse) this.#transmit(this.#lastResponse);
    return true;
  }

  /** Non-INVITE requests cannot be cancelled (RFC 3261 §9.2); nothing happens. */
  cancelled(_cancel: SipRequest): void {}

  /** Stop every timer without emitting anything (the layer is closing). */
  dispose(): void {
    this.#timers.stopAll();
  }

  #transmit(res: SipResponse): void {
    this.#ctx.send(res).catch((err: unknown) => {
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
