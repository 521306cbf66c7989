import { isoTime } from './call.ts';
import type { RouteAttempt, RouteAttemptReason } from './call.ts';
import type { RouteCandidate } from './routing.ts';

/** The running route attempt entry for `candidate`, started now. */
export function runningAttempt(candidate: RouteCandidate, nowMs: number): RouteAttempt {
  return {
    route_id: candidate.route.id,
    provider_id: candidate.provider.id,
    sip_status: 0,
    reason: '',
    tm_start: isoTime(nowMs),
  };
}

/** The route attempts with the running one (no `tm_end`) closed as `reason`. */
export function closeRunningAttempt(
  attempts: readonly RouteAttempt[],
  reason: RouteAttemptReason,
  sipStatus: number,
  nowMs: number,
): RouteAttempt[] {
  return attempts.map((a) =>
    a.tm_end === undefined ? { ...a, reason, sip_status: sipStatus, tm_end: isoTime(nowMs) } : a,
  );
}
