import { NIL_UUID } from '../shared/index.ts';
import { isoTime } from './call.ts';
import type { Call, HangupReason, RouteAttempt, RouteAttemptReason } from './call.ts';
import type { HangupCauseFields } from './call-status.ts';
import { ANSWERED_LOCAL_REASONS, HANGUP_RULES, rejectStatusFor } from './hangup-reasons.ts';
import type { HangupCause } from './hangup-reasons.ts';
import type { LiveCall } from './live-call.ts';

/** The route attempts with the running one (no `tm_end`) closed as `reason`. */
export function closeRunningAttempt(attempts: readonly RouteAttempt[], reason: RouteAttemptReason, sipStatus: number, nowMs: number): RouteAttempt[] {
  return attempts.map((a) => (a.tm_end === undefined ? { ...a, reason, sip_status: sipStatus, tm_end: isoTime(nowMs) } : a));
}

function causeFields(cause: HangupCause | HangupCauseFields): HangupCauseFields {
  if (typeof cause !== 'string') return cause;
  const rule = HANGUP_RULES[cause];
  return { hangup_by: rule.hangup_by, hangup_reason: rule.hangup_reason };
}

/**
 * Moves the call to `hangup` with its outcome (set once, with `tm_hangup`), then releases what it
 * held: timers, the active recording, the activeflow; finally tells the service (registry, cascade).
 */
export async function finishCall(live: LiveCall, cause: HangupCause | HangupCauseFields, patch: Partial<Call> = {}): Promise<void> {
  const fields = causeFields(cause);
  const { recording_id: recordingId, activeflow_id: activeflowId } = live.call;
  const nowMs = live.rt.clock.now();
  const attempts = closeRunningAttempt(patch.route_attempts ?? live.call.route_attempts, fields.hangup_reason, 0, nowMs);
  const moved = await live.move('hangup', { hangup: fields, patch: { ...patch, route_attempts: attempts, recording_id: NIL_UUID } });
  if (!moved) return;
  live.clearTimers();
  if (recordingId !== NIL_UUID) live.rt.background(live.rt.recorder.stop(recordingId), `stop recording ${recordingId}`);
  if (activeflowId !== NIL_UUID) live.rt.background(live.rt.flows.stop(activeflowId), `stop activeflow ${activeflowId}`);
  live.rt.hungUp(live);
}

/** A local hangup request: the API's `{reason?}`, a flow action, a timer or a master's cascade. */
export interface LocalHangup {
  reason?: Exclude<HangupReason, ''>;
}

/**
 * Ends a live call from callbin's side (calls.md "Status machine"): an unanswered outgoing call is
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
  const attempt = live.state.attempt;
  if (attempt) await attempt.cancel().catch((err: unknown) => live.logger.warn({ err }, 'CANCEL failed; the call ends anyway'));
  await finishCall(live, 'local_cancel', { route_attempts: closeRunningAttempt(live.call.route_attempts, 'cancel', 0, live.rt.clock.now()) });
}

async function byeAnswered(live: LiveCall, reason: HangupReason | undefined): Promise<void> {
  const hangupReason = ANSWERED_LOCAL_REASONS.find((r) => r === reason) ?? 'normal';
  live.clearTimer('maxDuration');
  if (!(await live.move('terminating'))) return;
  const leg = live.state.leg;
  // A BYE that is not answered still ends the dialog (RFC 3261 §15.1.1), so the call ends either way.
  if (leg) await leg.bye().catch((err: unknown) => live.logger.warn({ err }, 'BYE failed; the call ends anyway'));
  await finishCall(live, { hangup_by: 'local', hangup_reason: hangupReason });
}

async function rejectIncoming(live: LiveCall, reason: Exclude<HangupReason, ''>): Promise<void> {
  live.clearTimer('answer');
  if (!(await live.move('terminating'))) return;
  const incoming = live.state.incoming;
  const status = rejectStatusFor(reason);
  if (incoming) await incoming.reject(status).catch((err: unknown) => live.logger.warn({ err, status }, 'reject failed; the call ends anyway'));
  await finishCall(live, { hangup_by: 'local', hangup_reason: reason });
}

/** The far end sent BYE on an established dialog, or the dialog failed (`failed`, RFC 3261 §12.2.1.2). */
export async function onRemoteBye(live: LiveCall, failed = false): Promise<void> {
  const { status } = live.call;
  if (status !== 'progressing' && status !== 'terminating') {
    live.logger.debug({ status }, 'BYE ignored: no established dialog');
    return;
  }
  await finishCall(live, failed ? 'dialog_failed' : 'remote_bye');
}

/** The caller CANCELled an incoming call before it was answered. */
export async function onRemoteCancel(live: LiveCall): Promise<void> {
  if (live.call.direction !== 'incoming' || live.call.status !== 'ringing') {
    live.logger.debug({ status: live.call.status }, 'CANCEL ignored: the call is not an unanswered incoming call');
    return;
  }
  await finishCall(live, 'remote_cancel');
}

/** Arms the maximum-duration timer of an answered call (ends it local/`timeout`). */
export function armMaxDuration(live: LiveCall): void {
  live.startTimer('maxDuration', live.state.maxDurationMs, async () => {
    if (live.call.status === 'progressing') await hangupLocally(live, { reason: 'timeout' });
  });
}
