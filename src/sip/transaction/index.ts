export { TransactionLayer } from './transaction-layer.ts';
export type {
  TransactionLayerOptions,
  TransactionLayerEvents,
  TransactionTransport,
  ClientTransaction,
  ServerTransaction,
  RequestOptions,
} from './transaction-layer.ts';
export { InviteClientTransaction } from './invite-client-transaction.ts';
export type { InviteClientState, CancelSender } from './invite-client-transaction.ts';
export { NonInviteClientTransaction } from './non-invite-client-transaction.ts';
export type { NonInviteClientState } from './non-invite-client-transaction.ts';
export { InviteServerTransaction } from './invite-server-transaction.ts';
export type { InviteServerState } from './invite-server-transaction.ts';
export { NonInviteServerTransaction } from './non-invite-server-transaction.ts';
export type { NonInviteServerState } from './non-invite-server-transaction.ts';
export { Retransmitter2xx } from './retransmitter-2xx.ts';
export type { Retransmitter2xxOptions } from './retransmitter-2xx.ts';
export { DEFAULT_TIMERS, resolveTimers } from './timer-config.ts';
export type { TimerConfig } from './timer-config.ts';
export { buildAckForNon2xx, buildCancel } from './derived-requests.ts';
export { clientKey, serverKey } from './transaction-key.ts';
export type { ClientTransactionEvents, ServerTransactionEvents } from './transaction-types.ts';
