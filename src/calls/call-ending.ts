import type { HangupReason } from './call.ts';
import { ANSWERED_LOCAL_REASONS, rejectStatusFor } from './hangup-reasons.ts';
import type { LiveCall } from './live-call.ts';
import { closeRunningAttempt } from './route-attempts.ts';

/** A local hangup request: the API's `{reason?}`, a flow action, a timer or a master's cascade. */
export interface LocalHangup {
  reason?: Exclude<HangupReason, ''>;
}

/**
 * Ends a live call from callbin's side (docs/calls.md "Status machine"): an unanswered outgoing call is
 * CANCELled through `canceling`; an unanswered incoming call is rejected with the reason's SIP status;
 * an answered one gets a BYE through `terminating`. A call already ending is left alone.
 */
export async function hangupLocally(live: LiveCall, request: LocalHangup = {}): Promise<void> {
  live.requireLive();
  const { status, direction } = live.call;
  if (status === 'terminating' || status === 'canceling') return;
  if (direction === 'outgoing' && (status === 'dialing' || status === 'ringing')) {
    await cancelOutgoing(live);
    return;
  }
  if (status === 'progressing') {
    await byeAnswered(live, request.reason);
    return;
  }
  await rejectIncoming(live, request.reason ?? 'normal');
}

async function cancelOutgoing(live: LiveCall): Promise<void> {
  live.clearTimer('dial');
  if (!(await live.move('canceling'))) return;
  const attempt = live.attempt;
  if (attempt)
    await attempt.cancel().catch((err: unknown) => live.logger.warn({ err }, 'CANCEL failed; the call ends anyway'));
  await live.endWith('local_cancel', {
    route_attempts: closeRunningAttempt(live.call.route_attempts, 'cancel', 0, live.rt.clock.now()),
  });
}

async function byeAnswered(live: LiveCall, reason: HangupReason | undefined): Promise<void> {
  const hangupReason = ANSWERED_LOCAL_REASONS.find((r) => r === reason) ?? 'normal';
  live.clearTimer('maxDuration');
  if (!(await live.move('terminating'))) return;
  const leg = live.leg;
  // A BYE that is not answered still ends the dialog (RFC 3261 §15.1.1), so the call ends either way.
  if (leg) await leg.bye().catch((err: unknown) => live.logger.warn({ err }, 'BYE failed; the call ends anyway'));
  await live.endWith({ hangup_by: 'local', hangup_reason: hangupReason });
}

async function rejectIncoming(live: LiveCall, reason: Exclude<HangupReason, ''>): Promise<void> {
  live.clearTimer('answer');
  if (!(await live.move('terminating'))) return;
  const incoming = live.incoming;
  const status = rejectStatusFor(reason);
  if (incoming)
    await incoming
      .reject(status)
      .catch((err: unknown) => live.logger.warn({ err, status }, 'reject failed; the call ends anyway'));
  await live.endWith({ hangup_by: 'local', hangup_reason: reason });
}

/** The far end sent BYE on an established dialog, or the dialog failed (`failed`, RFC 3261 §12.2.1.2). */
export async function onRemoteBye(live: LiveCall, failed = false): Promise<void> {
  const { status } = live.call;
  if (status !== 'progressing' && status !== 'terminating') {
    live.logger.debug({ status }, 'BYE ignored: no established dialog');
    return;
  }
  await live.endWith(failed ? 'dialog_failed' : 'remote_bye');
}

/** The caller CANCELled an incoming call before it was answered. */
export async function onRemoteCancel(live: LiveCall): Promise<void> {
  if (live.call.direction !== 'incoming' || live.call.status !== 'ringing') {
    live.logger.debug({ status: live.call.status }, 'CANCEL ignored: the call is not an unanswered incoming call');
    return;
  }
  await live.endWith('remote_cancel');
}

/** Arms the maximum-duration timer of an answered call (ends it local/`timeout`). */
export function armMaxDuration(live: LiveCall): void {
  live.startTimer('maxDuration', live.maxDurationMs, async () => {
    if (live.call.status === 'progressing') await hangupLocally(live, { reason: 'timeout' });
  });
}
