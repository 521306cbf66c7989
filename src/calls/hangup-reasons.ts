import type { HangupReason } from './call.ts';
import type { HangupCauseFields } from './call-status.ts';
import type { CallStatus } from './call-status-types.ts';

/** How an outgoing attempt ended without a dialog: a final non-2xx status, no response at all, or a transport error. */
export type AttemptFailure =
  | { kind: 'status'; sip_status: number }
  | { kind: 'timeout' }
  | { kind: 'transport' }
  /** Never sent: the SIP address resolved to an internal host (production mode, docs/security.md). */
  | { kind: 'forbidden' };

/** Everything that can end a call (docs/calls.md "Hangup reasons"), by name. */
export type HangupCause =
  | 'remote_bye'
  | 'dialog_failed'
  | 'local_hangup'
  | 'sip_busy'
  | 'sip_noanswer'
  | 'ring_timeout'
  | 'local_cancel'
  | 'remote_cancel'
  | 'sip_failed'
  | 'no_response'
  | 'transport_error'
  | 'dial_timeout'
  | 'max_duration'
  | 'amd'
  | 'unreachable'
  | 'target_forbidden'
  | 'reconcile'
  | 'drain';

/** One row of the hangup table: the states it applies in, the outcome, and whether the next route is tried. */
export interface HangupRule extends HangupCauseFields {
  /** Statuses the call may be in when this happens. */
  readonly from: readonly CallStatus[];
  /** True when an outgoing `tel` call retries on its next route instead of hanging up. */
  readonly failover: boolean;
}

const UNANSWERED: readonly CallStatus[] = ['dialing', 'ringing'];
const LIVE: readonly CallStatus[] = ['dialing', 'ringing', 'progressing', 'terminating', 'canceling'];

/** The hangup table as data: what happened -> {hangup_by, hangup_reason, failover}. */
export const HANGUP_RULES = {
  remote_bye: { from: ['progressing', 'terminating'], hangup_by: 'remote', hangup_reason: 'normal', failover: false },
  // RFC 3261 §12.2.1.2/§14.1: a request in the dialog (a hold re-INVITE) got 408/481 or no answer.
  dialog_failed: {
    from: ['progressing', 'terminating'],
    hangup_by: 'remote',
    hangup_reason: 'failed',
    failover: false,
  },
  local_hangup: { from: ['terminating'], hangup_by: 'local', hangup_reason: 'normal', failover: false },
  sip_busy: { from: UNANSWERED, hangup_by: 'remote', hangup_reason: 'busy', failover: false },
  sip_noanswer: { from: UNANSWERED, hangup_by: 'remote', hangup_reason: 'noanswer', failover: false },
  ring_timeout: { from: UNANSWERED, hangup_by: 'remote', hangup_reason: 'noanswer', failover: false },
  local_cancel: { from: ['canceling'], hangup_by: 'local', hangup_reason: 'cancel', failover: false },
  remote_cancel: { from: UNANSWERED, hangup_by: 'remote', hangup_reason: 'cancel', failover: false },
  sip_failed: { from: UNANSWERED, hangup_by: 'remote', hangup_reason: 'failed', failover: true },
  no_response: { from: UNANSWERED, hangup_by: 'remote', hangup_reason: 'failed', failover: true },
  transport_error: { from: UNANSWERED, hangup_by: 'remote', hangup_reason: 'failed', failover: true },
  dial_timeout: { from: ['dialing'], hangup_by: 'remote', hangup_reason: 'dialout', failover: false },
  max_duration: { from: ['terminating'], hangup_by: 'local', hangup_reason: 'timeout', failover: false },
  amd: { from: ['terminating'], hangup_by: 'local', hangup_reason: 'amd', failover: false },
  unreachable: { from: UNANSWERED, hangup_by: 'local', hangup_reason: 'failed', failover: false },
  target_forbidden: { from: UNANSWERED, hangup_by: 'local', hangup_reason: 'failed', failover: false },
  reconcile: { from: LIVE, hangup_by: 'local', hangup_reason: 'failed', failover: false },
  // docs/calls.md "Hangup reasons": still live when the node's drain deadline came (SIGTERM).
  drain: { from: ['terminating'], hangup_by: 'local', hangup_reason: 'drain', failover: false },
} as const satisfies Record<HangupCause, HangupRule>;

/** Final SIP statuses with their own row; any other non-2xx final status is `sip_failed`. */
export const SIP_STATUS_CAUSES: Readonly<Record<number, HangupCause>> = {
  486: 'sip_busy',
  600: 'sip_busy',
  480: 'sip_noanswer',
  603: 'sip_noanswer',
};

/** 408 Request Timeout means "nobody picked up" only once the far end rang; before that it is a failure. */
const REQUEST_TIMEOUT = 408;

/** The cause of an attempt that ended without a dialog; `sawRinging` is true once a 18x arrived. */
export function attemptFailureCause(failure: AttemptFailure, sawRinging: boolean): HangupCause {
  switch (failure.kind) {
    case 'timeout':
      return 'no_response';
    case 'transport':
      return 'transport_error';
    case 'forbidden':
      return 'target_forbidden';
    case 'status':
      if (failure.sip_status === REQUEST_TIMEOUT) return sawRinging ? 'sip_noanswer' : 'sip_failed';
      return SIP_STATUS_CAUSES[failure.sip_status] ?? 'sip_failed';
  }
}

/** The cause when the dial timer expires: silence since the 100 is `dialout`, ringing nobody took is `noanswer`. */
export function dialTimerCause(sawRinging: boolean): HangupCause {
  return sawRinging ? 'ring_timeout' : 'dial_timeout';
}

/** The reverse table: the SIP status that rejects an unanswered incoming call hung up with a reason. */
export const REJECT_SIP_STATUS: Readonly<Partial<Record<HangupReason, number>>> = {
  busy: 486,
  noanswer: 480,
  // RFC 3261 §21.5.4: the node is going away; the caller may try another.
  drain: 503,
};

/** 603 Decline for every reason without its own row. */
export const DEFAULT_REJECT_SIP_STATUS = 603;

/** The SIP status that rejects an unanswered incoming call hung up with `reason`. */
export function rejectStatusFor(reason: HangupReason): number {
  return REJECT_SIP_STATUS[reason] ?? DEFAULT_REJECT_SIP_STATUS;
}

/** Reasons a local hangup of an answered call may carry; any other requested reason is recorded as `normal`. */
export const ANSWERED_LOCAL_REASONS: readonly Exclude<HangupReason, ''>[] = ['normal', 'timeout', 'amd', 'drain'];
