import { InvalidStateError, TypedEmitter } from '../../shared/index.ts';
import { createResponse } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { MessageSource } from '../transport/index.ts';
import { StateTable } from './state-table.ts';
import { TimerSet } from './timer-set.ts';
import { asTransportError } from './transport-error.ts';
import type { ServerTransactionEvents, TransactionContext } from './transaction-types.ts';

/**
 * States of the INVITE server transaction (RFC 3261 §17.2.1, Figure 7), with RFC 6026's
 * Accepted state after a 2xx so that INVITE retransmissions are absorbed, not re-offered.
 */
export type InviteServerState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

const TRANSITIONS = {
  proceeding: ['completed', 'accepted', 'terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  accepted: ['terminated'],
  terminated: [],
} as const satisfies Record<InviteServerState, readonly InviteServerState[]>;

/** The INVITE server transaction: 100 Trying, Timers G, H, I and L. */
export class InviteServerTransaction extends TypedEmitter<ServerTransactionEvents> {
  /** Discriminates the server transaction kinds. */
  readonly kind = 'invite-server' as const;
  /** The INVITE that created this transaction. */
  readonly request: SipRequest;
  /** Where the INVITE came from. */
  readonly source: MessageSource;
  readonly #ctx: TransactionContext;
  readonly #fsm: StateTable<InviteServerState>;
  readonly #timers: TimerSet<'trying' | 'G' | 'H' | 'I' | 'L'>;
  #lastResponse: SipResponse | undefined;

  constructor(request: SipRequest, source: MessageSource, ctx: TransactionContext) {
    super();
    this.request = request;
    this.source = source;
    this.#ctx = ctx;
    this.#fsm = new StateTable('INVITE server transaction', TRANSITIONS, 'proceeding', ctx.logger);
    this.#timers = new TimerSet(ctx.clock);
  }

  /** The current state. */
  get state(): InviteServerState {
    return this.#fsm.state;
  }

  /** The last response sent, if any. */
  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  /** RFC 3261 §17.2.1: answer 100 Trying unless the TU responds within `trying100Ms`. */
  start(): void {
    this.#timers.start('trying', this.#ctx.timers.trying100Ms, () => {
      if (this.state === 'proceeding' && !this.#lastResponse) this.respond(createResponse(this.request, 100));
    });
  }

  /** Send a response from the TU; throws InvalidStateError when the state forbids it. */
  respond(res: SipResponse): void {
    const state = this.state;
    if (state === 'accepted' && res.status >= 200 && res.status < 300) {
      // RFC 6026 §7.1: the TU's own 2xx retransmissions pass through in Accepted.
      this.#transmit(res);
      return;
    }
    if (state !== 'proceeding')
      throw new InvalidStateError(`INVITE server transaction is ${state}: cannot send ${res.status}`);
    this.#timers.stop('trying');
    this.#lastResponse = res;
    this.#transmit(res);
    if (res.status < 200) return;
    const { t1Ms } = this.#ctx.timers;
    if (res.status < 300) {
      this.#fsm.move('accepted');
      this.#timers.start('L', 64 * t1Ms, () => this.#terminate());
      return;
    }
    this.#fsm.move('completed');
    if (!this.#ctx.reliable) this.#armTimerG(t1Ms);
    this.#timers.start('H', 64 * t1Ms, () => {
      this.emit('timeout');
      this.#terminate();
    });
  }

  /**
   * Feed a retransmitted INVITE or an ACK matching this transaction. Returns true when the
   * message was absorbed, false when it is an ACK the TU must see (2xx ACK in Accepted).
   */
  receiveRequest(req: SipRequest): boolean {
    const state = this.state;
    if (req.method === 'ACK') {
      if (state === 'accepted') return false;
      if (state !== 'completed') return true;
      this.#fsm.move('confirmed');
      this.#timers.stop('G');
      this.#timers.stop('H');
      this.#timers.start('I', this.#ctx.reliable ? 0 : this.#ctx.timers.t4Ms, () => this.#terminate());
      return true;
    }
    // RFC 3261 §17.2.1: a retransmitted INVITE gets the most recent provisional or final response.
    if ((state === 'proceeding' || state === 'completed') && this.#lastResponse) this.#transmit(this.#lastResponse);
    return true;
  }

  /** A CANCEL matched this transaction; tells the TU when it can still answer 487. */
  cancelled(cancel: SipRequest): void {
    if (this.state === 'proceeding') this.emit('cancelled', cancel);
  }

  /** Stop every timer without emitting anything (the layer is closing). */
  dispose(): void {
    this.#timers.stopAll();
  }

  // RFC 3261 §17.2.1: Timer G retransmits the non-2xx final response, doubling up to T2.
  #armTimerG(intervalMs: number): void {
    this.#timers.start('G', intervalMs, () => {
      if (this.state !== 'completed' || !this.#lastResponse) return;
      this.#transmit(this.#lastResponse);
      this.#armTimerG(Math.min(2 * intervalMs, this.#ctx.timers.t2Ms));
    });
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
