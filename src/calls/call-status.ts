import { AppError } from '../shared/index.ts';
import type { Logger } from '../shared/index.ts';
import { isoTime, withChanges } from './call.ts';
import type { Call, CallDirection, HangupBy, HangupReason } from './call.ts';
import { CALL_STATUSES } from './call-status-types.ts';
import type { CallStatus } from './call-status-types.ts';

/** The status machine as data: the statuses each status may move to. States only move forward. */
export const CALL_STATUS_TRANSITIONS = {
  dialing: ['ringing', 'progressing', 'terminating', 'canceling', 'hangup'],
  ringing: ['progressing', 'terminating', 'canceling', 'hangup'],
  progressing: ['terminating', 'hangup'],
  terminating: ['hangup'],
  canceling: ['hangup'],
  hangup: [],
} as const satisfies Record<CallStatus, readonly CallStatus[]>;

/** Statuses only outgoing calls may enter (docs/call-lifecycle.md: canceling is the originator giving up before answer). */
export const OUTGOING_ONLY_STATUSES: readonly CallStatus[] = ['canceling'];

/** Statuses in which a call is still live (not `hangup`). */
export const LIVE_STATUSES: readonly CallStatus[] = CALL_STATUSES.filter((s) => s !== 'hangup');

/** True when the table allows `from -> to` for a call of `direction`. */
export function canTransition(from: CallStatus, to: CallStatus, direction: CallDirection): boolean {
  if (direction !== 'outgoing' && OUTGOING_ONLY_STATUSES.includes(to)) return false;
  return (CALL_STATUS_TRANSITIONS[from] as readonly CallStatus[]).includes(to);
}

/** The outcome that must come with a move to `hangup` (set once, together with `tm_hangup`). */
export interface HangupCauseFields {
  hangup_by: Exclude<HangupBy, ''>;
  hangup_reason: Exclude<HangupReason, ''>;
}

/** What `transition()` needs besides the call: the time, a logger, and the hangup outcome when ending. */
export interface TransitionContext {
  nowMs: number;
  logger: Logger;
  hangup?: HangupCauseFields;
}

/** A short form of a call id for log lines (`3f2a91c0…`). */
export function shortId(id: string): string {
  return `${id.slice(0, 8)}…`;
}

const STAMP_ON_ENTRY = { ringing: 'tm_ringing', progressing: 'tm_progressing', hangup: 'tm_hangup' } as const;

/**
 * The only place a call's status changes: validates the edge against the table, stamps `tm_<status>`
 * on entry and `tm_update`, and returns the new call; a refused edge is logged by name and the call is
 * returned unchanged as `undefined`.
 */
export function transition(call: Call, to: CallStatus, ctx: TransitionContext): Call | undefined {
  if (!canTransition(call.status, to, call.direction)) {
    ctx.logger.warn(
      { call_id: call.id, from: call.status, to, direction: call.direction },
      `call ${shortId(call.id)}: ${call.status} -> ${to} refused`,
    );
    return undefined;
  }
  if (to === 'hangup' && ctx.hangup === undefined) {
    throw new AppError('INTERNAL', `call ${shortId(call.id)}: a move to hangup needs hangup_by and hangup_reason`);
  }
  const now = isoTime(ctx.nowMs);
  const next = withChanges(call, { status: to, tm_update: now });
  if (to in STAMP_ON_ENTRY) next[STAMP_ON_ENTRY[to as keyof typeof STAMP_ON_ENTRY]] = now;
  if (to === 'hangup' && ctx.hangup) {
    next.hangup_by = ctx.hangup.hangup_by;
    next.hangup_reason = ctx.hangup.hangup_reason;
  }
  return next;
}
