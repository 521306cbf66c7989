import type { AppError, Clock, Logger } from '../../shared/index.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message/index.ts';
import type { TimerConfig } from './timer-config.ts';

/** What a transaction needs from its layer: time, timer values, logging and a way to send. */
export interface TransactionContext {
  clock: Clock;
  timers: TimerConfig;
  logger: Logger;
  /** True on TCP/TLS/WS: no retransmissions and zero-length wait timers (RFC 3261 §17). */
  reliable: boolean;
  /** Hand a message to the transport towards this transaction's peer. */
  send(msg: SipMessage): Promise<void>;
}

/** Events of a client transaction, for its transaction user. */
export type ClientTransactionEvents = {
  provisional: [res: SipResponse];
  final: [res: SipResponse];
  timeout: [];
  transportError: [err: AppError];
  terminated: [];
};

/** Events of a server transaction, for its transaction user. */
export type ServerTransactionEvents = {
  /** A CANCEL matched this INVITE while it was still proceeding; the TU should answer 487. */
  cancelled: [cancel: SipRequest];
  /** Timer H: no ACK arrived for a non-2xx final response. */
  timeout: [];
  transportError: [err: AppError];
  terminated: [];
};
