// The hangup of a LiveCall (live-call.ts `endWith`): its outcome set once with `tm_hangup`, the
// running route attempt closed, each leg's media figures taken, then what it held released.
import { NIL_UUID } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Call } from './call.ts';
import type { HangupCauseFields } from './call-status.ts';
import type { CallStatus } from './call-status-types.ts';
import { HANGUP_RULES } from './hangup-reasons.ts';
import type { HangupCause } from './hangup-reasons.ts';
import type { CallPorts } from './ports.ts';
import { closeRunningAttempt } from './route-attempts.ts';

/** What ending a call needs of its LiveCall. */
export interface EndingCall {
  readonly id: string;
  readonly call: Readonly<Call>;
  readonly rt: Pick<CallPorts, 'media' | 'recorder' | 'flows'> & { readonly clock: Clock };
  move(to: CallStatus, options: { patch?: Partial<Call>; hangup?: HangupCauseFields }): Promise<boolean>;
  clearTimers(): void;
  background(work: Promise<unknown>, what: string): void;
}

/**
 * Moves the call to `hangup` with its outcome (the running route attempt closed), then releases
 * its timers, active recording and activeflow. False when the status table refuses the move.
 */
export async function endLiveCall(
  live: EndingCall,
  cause: HangupCause | HangupCauseFields,
  patch: Partial<Call>,
): Promise<boolean> {
  const fields =
    typeof cause === 'string'
      ? { hangup_by: HANGUP_RULES[cause].hangup_by, hangup_reason: HANGUP_RULES[cause].hangup_reason }
      : cause;
  const { recording_id: recordingId, activeflow_id: activeflowId } = live.call;
  const attempts = closeRunningAttempt(
    patch.route_attempts ?? live.call.route_attempts,
    fields.hangup_reason,
    0,
    live.rt.clock.now(),
  );
  // docs/calls.md "Media quality": each leg's figures, taken as the call ends.
  const qos = live.rt.media.qos?.(live.id);
  const moved = await live.move('hangup', {
    hangup: fields,
    patch: { ...patch, route_attempts: attempts, recording_id: NIL_UUID, ...(qos?.length ? { qos } : {}) },
  });
  if (!moved) return false;
  live.clearTimers();
  if (recordingId !== NIL_UUID) live.background(live.rt.recorder.stop(recordingId), `stop recording ${recordingId}`);
  if (activeflowId !== NIL_UUID) live.background(live.rt.flows.stop(activeflowId), `stop activeflow ${activeflowId}`);
  return true;
}
