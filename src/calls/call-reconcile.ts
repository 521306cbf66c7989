// Crash safety of CallService (call-service.ts): the stored live calls no process serves any more
// are moved to hangup (local, failed), at the time their process was last known alive.
import { NIL_UUID } from '../shared/index.ts';
import { isoTime, toPublic } from './call.ts';
import type { Call } from './call.ts';
import { updatedChange } from './call-events.ts';
import type { CallChange } from './call-events.ts';
import { transition } from './call-status.ts';
import { HANGUP_RULES } from './hangup-reasons.ts';
import type { CallRuntime } from './live-call.ts';
import { closeRunningAttempt } from './route-attempts.ts';

/** Which stored calls to reconcile, and when their process was last known alive. */
export interface ReconcileOptions {
  nodeId?: string | undefined;
  lastAliveMs?: number | undefined;
}

/**
 * Every stored live call for which `isLive` is false is moved to hangup (local, failed). It ends at
 * `lastAliveMs`, or at its own last change when that came later — never after now. Returns the
 * calls changed.
 */
export async function reconcileCalls(
  rt: CallRuntime,
  isLive: (callId: string) => boolean,
  options: ReconcileOptions,
): Promise<Call[]> {
  const startMs = rt.clock.now();
  const rule = HANGUP_RULES.reconcile;
  const changes: CallChange[] = [];
  const filter = options.nodeId === undefined ? {} : { nodeId: options.nodeId };
  for (const stale of await rt.store.listLive(filter)) {
    if (isLive(stale.id)) continue;
    const updatedMs = Date.parse(stale.tm_update);
    const nowMs =
      options.lastAliveMs === undefined
        ? startMs
        : Math.min(startMs, Math.max(options.lastAliveMs, Number.isNaN(updatedMs) ? 0 : updatedMs));
    const closed = {
      ...stale,
      recording_id: NIL_UUID,
      route_attempts: closeRunningAttempt(stale.route_attempts, rule.hangup_reason, 0, nowMs),
    };
    const next = transition(closed, 'hangup', {
      nowMs,
      logger: rt.logger,
      hangup: { hangup_by: rule.hangup_by, hangup_reason: rule.hangup_reason },
    });
    if (next) changes.push(updatedChange(stale, next));
  }
  if (changes.length === 0) return [];
  await rt.store.save(changes);
  for (const change of changes) rt.published(change.events);
  rt.logger.info(
    { count: changes.length, at: isoTime(startMs), ...filter },
    'reconciled calls left live by a previous process',
  );
  return changes.map((c) => toPublic(c.call));
}
