import { InvalidStateError, TypedEmitter } from '../../shared/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import { buildAckForNon2xx, buildCancel } from './derived-requests.ts';
import { StateTable } from './state-table.ts';
import { TimerSet } from './timer-set.ts';
import { asTransportError } from './transport-error.ts';
import type { ClientTransactionEvents, TransactionContext } from './transaction-types.ts';

/** States of the INVITE client transaction (RFC 3261 §17.1.1.2, Figure 5). */
export type InviteClientState = 'calling' | 'proceeding' | 'completed' | 'terminated';

const TRANSITIONS = {
  calling: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
} as const satisfies Record<InviteClientState, readonly InviteClientState[]>;

/** Sends a CANCEL as its own non-INVITE client transaction and yields its final response. */
export type CancelSender = (cancel: SipRequest) => Promise<SipResponse>;

interface PendingCancel {
  promise: Promise<SipResponse>;
  resolve: (res: SipResponse) => void;
  reject: (err: unknown) => void;
  sent: boolean;
}

/** The INVITE client transaction: Timers A, B and D, and the ACK for non-2xx answers. */
export class InviteClientTransaction extends TypedEmitter<ClientTransactionEvents> {
  /** Discriminates the client transaction kinds. */
  readonly kind = 'invite-client' as const;
  /** The INVITE this transaction sends. */
  readonly request: SipRequest;
  readonly #ctx: TransactionContext;
  readonly #sendCancel: CancelSender;
  readonly #fsm: StateTable<InviteClientState>;
  readonly #timers: TimerSet<'A' | 'B' | 'D' | 'cancel'>;
  #ack: SipRequest | undefined;
  #cancel: PendingCancel | undefined;

  constructor(request: SipRequest, ctx: TransactionContext, sendCancel: CancelSender) {
    super();
    this.request = request;
    this.#ctx = ctx;
    this.#sendCancel = sendCancel;
    this.#fsm = new StateTable('invite client transaction', TRANSITIONS, 'calling', ctx.logger);
    this.#timers = new TimerSet(ctx.clock);
  }

  /** The current state. */
  get state(): InviteClientState {
    return this.#fsm.state;
  }

  /** Send the INVITE and arm Timers A (unreliable transports only) and B. */
  start(): void {
    const { t1Ms } = this.#ctx.timers;
    this.#transmit(this.request);
    // RFC 3261 §17.1.1.2: Timer A doubles on every retransmission until Timer B (64*T1) fires.
    if (!this.#ctx.reliable) this.#armTimerA(t1Ms);
    this.#timers.start('B', 64 * t1Ms, () => {
      if (this.state !== 'calling') return;
      this.emit('timeout');
      this.#terminate();
    });
  }

  /** Feed a response whose branch and CSeq method match this transaction. */
  receive(res: SipResponse): void {
    const state = this.state;
    if (state === 'terminated') return;
    if (res.status < 200) {
      if (state === 'completed') return;
      if (state === 'calling') {
        this.#fsm.move('proceeding');
        this.#timers.stop('A');
        this.#timers.stop('B');
      }
      this.emit('provisional', res);
      this.#flushCancel();
    } else if (res.status < 300) {
      if (state === 'completed') return;
      // RFC 3261 §17.1.1.2: a 2xx ends the transaction; the TU sends the ACK and any 2xx
      // retransmissions reach it as stray responses.
      this.emit('final', res);
      this.#terminate();
    } else {
      this.#onFailure(res);
    }
  }

  /**
   * RFC 3261 §9.1: send a CANCEL for this INVITE — only once a provisional response has
   * arrived, so the CANCEL is sent then if none has yet. Resolves with the CANCEL's final response.
   */
  cancel(): Promise<SipResponse> {
    if (this.#cancel) return this.#cancel.promise;
    if (this.state === 'completed' || this.state === 'terminated') {
      return Promise.reject(new InvalidStateError('INVITE already has a final response', 'CANCEL_TOO_LATE'));
    }
    let resolve!: (res: SipResponse) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<SipResponse>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#cancel = { promise, resolve, reject, sent: false };
    if (this.state === 'proceeding') this.#flushCancel();
    return promise;
  }

  /** Stop every timer without emitting anything (the layer is closing). */
  dispose(): void {
    this.#timers.stopAll();
  }

  #armTimerA(intervalMs: number): void {
    this.#timers.start('A', intervalMs, () => {
      if (this.state !== 'calling') return;
      this.#transmit(this.request);
      this.#armTimerA(intervalMs * 2);
    });
  }

  #onFailure(res: SipResponse): void {
    if (this.state === 'completed') {
      // RFC 3261 §17.1.1.2: a retransmitted final response is answered with the same ACK.
      if (this.#ack) this.#transmit(this.#ack);
      return;
    }
    this.#fsm.move('completed');
    this.#timers.stop('A');
    this.#timers.stop('B');
    this.#ack = buildAckForNon2xx(this.request, res);
    this.#transmit(this.#ack);
    this.emit('final', res);
    this.#timers.start('D', this.#ctx.reliable ? 0 : this.#ctx.timers.timerDMs, () => this.#terminate());
  }

  #flushCancel(): void {
    const pending = this.#cancel;
    if (!pending || pending.sent) return;
    pending.sent = true;
    this.#sendCancel(buildCancel(this.request)).then(pending.resolve, pending.reject);
    // RFC 3261 §9.1: without a final response 64*T1 after the CANCEL, give the INVITE up.
    this.#timers.start('cancel', 64 * this.#ctx.timers.t1Ms, () => {
      if (this.state !== 'proceeding') return;
      this.emit('timeout');
      this.#terminate();
    });
  }

  #transmit(msg: SipRequest): void {
    this.#ctx.send(msg).catch((err: unknown) => {
      if (this.state === 'terminated') return;
      this.emit('transportError', asTransportError(err));
      this.#terminate();
    });
  }

  #terminate(): void {
    if (!this.#fsm.move('terminated')) return;
    this.#timers.stopAll();
    const pending = this.#cancel;
    if (pending && !pending.sent)
      pending.reject(new InvalidStateError('INVITE ended before a CANCEL could be sent', 'CANCEL_TOO_LATE'));
    this.emit('terminated');
  }
}
