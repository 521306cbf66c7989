import { InvalidStateError, NIL_UUID } from '../shared/index.ts';
import type { Logger } from '../shared/index.ts';
import type { Address } from './address.ts';
import { isoTime } from './call.ts';

/** How a transfer goes (docs/calls.md "Transfer"): straight to the transferee, or after the agent spoke to it. */
export const TRANSFER_TYPES = ['blind', 'attended'] as const;

/** One kind of transfer. */
export type TransferType = (typeof TRANSFER_TYPES)[number];

/** Every status of a transfer, in the order they can first appear. */
export const TRANSFER_STATUSES = ['initiated', 'ringing', 'answered', 'completed', 'failed', 'canceled'] as const;

/** One transfer status. */
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/** The transfer status machine: forward only; `completed`, `failed` and `canceled` are final. */
export const TRANSFER_STATUS_TRANSITIONS = {
  initiated: ['ringing', 'answered', 'failed', 'canceled'],
  ringing: ['answered', 'failed', 'canceled'],
  answered: ['completed', 'failed', 'canceled'],
  completed: [],
  failed: [],
  canceled: [],
} as const satisfies Record<TransferStatus, readonly TransferStatus[]>;

/**
 * Why a transfer ended other than `completed` (docs/calls.md "Transfer"); `""` while it runs and
 * after completion.
 */
export const TRANSFER_END_REASONS = [
  '',
  /** The transferee's call did not answer, or ended before the transfer completed. */
  'transferee_failed',
  /** The caller's call (the transferred one) hung up before the transfer completed. */
  'caller_hangup',
  /** `POST /transfers/{id}/cancel`. */
  'canceled',
  /** Caller or transferee had no media leg any more when they were to be bridged. */
  'bridge_failed',
  /** The process that ran the transfer stopped; the next start ended it with its calls (docs/calls.md "Crash safety"). */
  'restart',
] as const;

/** One end reason of a transfer. */
export type TransferEndReason = (typeof TRANSFER_END_REASONS)[number];

/** A transfer as the API shows it; unset ids are the nil UUID, unset times are absent. */
export interface Transfer {
  id: string;
  customer_id: string;
  type: TransferType;
  status: TransferStatus;
  /** The agent's call: held (blind) or talking to the transferee (attended), hung up on completion. */
  transferer_call_id: string;
  /** The caller's call: the transferer's peer, which stays up and ends bridged to the transferee. */
  transferred_call_id: string;
  /** Whom the caller is transferred to. */
  transferee: Address;
  /** The call dialled to the transferee, chained to the caller's call. */
  transferee_call_id: string;
  /**
   * The transferer's second call, to the transferee, that a REFER with Replaces (RFC 3891) named and
   * the transfer ended; the nil UUID for other transfers.
   */
  replaced_call_id: string;
  /** Why the transfer failed or was canceled; `""` while it runs and once completed. */
  end_reason: TransferEndReason;
  /** VoIPBIN's list of transferee addresses: callbin dials one, so this is `[transferee]`. */
  transferee_addresses: Address[];
  /** VoIPBIN's group call of the transferees: always the nil UUID (callbin dials one call). */
  groupcall_id: string;
  /** VoIPBIN's conference bridge of the parties: always the nil UUID (callbin bridges the legs directly). */
  confbridge_id: string;
  tm_create: string;
  tm_update: string;
  tm_ringing?: string;
  tm_answered?: string;
  /** Set on entering `completed`, `failed` or `canceled`. */
  tm_end?: string;
}

/** What a new transfer is made of; the rest is derived by `newTransfer`. */
export type NewTransfer = Pick<
  Transfer,
  'id' | 'customer_id' | 'type' | 'transferer_call_id' | 'transferred_call_id' | 'transferee' | 'transferee_call_id'
> &
  Partial<Pick<Transfer, 'replaced_call_id'>>;

/** A transfer in `initiated`, created at `nowIso`, with VoIPBIN's fields filled in (docs/calls.md "Transfer"). */
export function newTransfer(fields: NewTransfer, nowIso: string): Transfer {
  return {
    ...fields,
    replaced_call_id: fields.replaced_call_id ?? NIL_UUID,
    status: 'initiated',
    end_reason: '',
    transferee_addresses: [structuredClone(fields.transferee)],
    groupcall_id: NIL_UUID,
    confbridge_id: NIL_UUID,
    tm_create: nowIso,
    tm_update: nowIso,
  };
}

/** Every event of the transfer lifecycle (docs/events.md `transfer_*`). */
export const TRANSFER_EVENT_TYPES = [
  'transfer_created',
  'transfer_updated',
  'transfer_ringing',
  'transfer_answered',
  'transfer_completed',
  'transfer_failed',
  'transfer_canceled',
] as const;

/** One transfer event type. */
export type TransferEventType = (typeof TRANSFER_EVENT_TYPES)[number];

/** One event about a transfer: its type and the transfer right after the change. */
export interface TransferEvent {
  type: TransferEventType;
  transfer: Transfer;
}

/** A transfer state and the events that describe the change. */
export interface TransferChange {
  transfer: Transfer;
  events: readonly TransferEvent[];
}

/**
 * Where transfers are kept: the row and its events (which reach webhooks and the event stream through
 * the same outbox as calls) in one transaction, so a transfer outlives the process that ran it.
 */
export interface TransferStorePort {
  /** Writes the transfer's row and its events; resolves once committed. */
  save(change: TransferChange): Promise<void>;
  /** The stored transfer, in any status, or undefined. */
  get(transferId: string): Promise<Transfer | undefined>;
  /**
   * Every stored transfer not ended (crash recovery); with `nodeId`, only those that node ran
   * (docs/cluster.md "Node health").
   */
  listUnfinished(filter?: { nodeId?: string }): Promise<Transfer[]>;
}

/** True when no further status can follow. */
export function isTransferEnded(status: TransferStatus): boolean {
  return TRANSFER_STATUS_TRANSITIONS[status].length === 0;
}

/** The change for a new transfer: `transfer_created`. */
export function createdTransferChange(transfer: Transfer): TransferChange {
  const snapshot = structuredClone(transfer);
  return { transfer: snapshot, events: [{ type: 'transfer_created', transfer: snapshot }] };
}

/**
 * Moves a transfer through the table, stamping `tm_update` and the moment's time (and, for `failed`
 * or `canceled`, `end_reason`); returns the change (`transfer_updated` then `transfer_<status>`), or
 * undefined when the edge is refused (logged).
 */
export function transferTransition(
  transfer: Transfer,
  to: TransferStatus,
  nowMs: number,
  logger: Logger,
  reason: TransferEndReason = '',
): TransferChange | undefined {
  const allowed: readonly TransferStatus[] = TRANSFER_STATUS_TRANSITIONS[transfer.status];
  if (!allowed.includes(to)) {
    logger.warn(
      { transfer_id: transfer.id },
      `transfer ${transfer.id.slice(0, 8)}: ${transfer.status} -> ${to} refused`,
    );
    return undefined;
  }
  const at = isoTime(nowMs);
  const next: Transfer = { ...structuredClone(transfer), status: to, tm_update: at };
  if (to === 'ringing') next.tm_ringing = at;
  if (to === 'answered') next.tm_answered = at;
  if (isTransferEnded(to)) next.tm_end = at;
  if (to === 'failed' || to === 'canceled')
    next.end_reason = reason || (to === 'canceled' ? 'canceled' : 'transferee_failed');
  const snapshot = structuredClone(next);
  return {
    transfer: snapshot,
    events: [
      { type: 'transfer_updated', transfer: snapshot },
      { type: `transfer_${to}` as TransferEventType, transfer: snapshot },
    ],
  };
}

/** Throws 409 `TRANSFER_STATE_INVALID` unless the transfer is in one of `statuses`. */
export function requireTransferStatus(transfer: Transfer, statuses: readonly TransferStatus[], what: string): void {
  if (!statuses.includes(transfer.status)) {
    throw new InvalidStateError(
      `${what} needs a transfer in ${statuses.join(' or ')}; transfer ${transfer.id} is ${transfer.status}`,
      'TRANSFER_STATE_INVALID',
    );
  }
}
