import { NIL_UUID, isoTime } from '../shared/index.ts';
import type { Logger } from '../shared/index.ts';
import type { Groupcall, GroupcallEventType } from './groupcall.ts';
import { moveGroupcall } from './groupcall-status.ts';

/*
 * What a groupcall does on each input, as pure functions (docs/api.md "Groupcalls"): the service
 * (groupcall-service.ts) stores the step, then hangs up the calls and dials the destination it names.
 * `live` is the set of the groupcall's calls not hung up yet, after the input.
 */

/** The time and a logger for refused moves. */
export interface StepContext {
  nowMs: number;
  logger: Logger;
}

/** The outcome of one input. */
export interface GroupcallStep {
  /** The groupcall after the input; `undefined` when nothing changed. */
  next: Groupcall | undefined;
  /** Events of the change, in order. */
  events: GroupcallEventType[];
  /** Calls to hang up now. */
  hangup: string[];
  /** `linear`: the index of the destination to dial now. */
  dial?: number;
}

const NOTHING: GroupcallStep = { next: undefined, events: [], hangup: [] };

function ended(gc: Groupcall, ctx: StepContext): GroupcallStep {
  const moved = moveGroupcall({ ...gc, call_count: 0 }, 'hangup', ctx);
  return moved ? { next: moved, events: ['groupcall_hangup'], hangup: [] } : NOTHING;
}

/**
 * Nothing of the groupcall is live any more: it ends when a call answered, when a hangup was asked
 * or when it rang all at once; a `linear` one dials its next destination while one is left.
 */
function noCallLeft(gc: Groupcall, ctx: StepContext): GroupcallStep {
  const over =
    gc.answer_call_id !== NIL_UUID ||
    gc.status !== 'progressing' ||
    gc.ring_method === 'ring_all' ||
    gc.dial_index >= gc.destinations.length - 1;
  if (over) return ended(gc, ctx);
  return { next: gc, events: [], hangup: [], dial: gc.dial_index + 1 };
}

/** Calls were dialled for destination `index` (`ring_all`: every destination, index 0). */
export function dialed(gc: Groupcall, index: number, callIds: readonly string[], ctx: StepContext): GroupcallStep {
  const next: Groupcall = {
    ...gc,
    call_ids: [...gc.call_ids, ...callIds],
    call_count: gc.call_count + callIds.length,
    dial_index: index,
    tm_update: isoTime(ctx.nowMs),
  };
  return { next, events: [], hangup: [] };
}

/** Destination `index` of a `linear` groupcall could not be dialled: as if its call ended unanswered. */
export function dialFailed(gc: Groupcall, index: number, ctx: StepContext): GroupcallStep {
  return noCallLeft({ ...gc, dial_index: index, tm_update: isoTime(ctx.nowMs) }, ctx);
}

/**
 * One of the groupcall's calls answered. The first records `answer_call_id` (`groupcall_progressing`)
 * and, with `hangup_others`, every other live call is hung up; a call that answers after that, or
 * while the groupcall is hanging up, is hung up itself.
 */
export function callAnswered(
  gc: Groupcall,
  callId: string,
  live: ReadonlySet<string>,
  ctx: StepContext,
): GroupcallStep {
  if (!gc.call_ids.includes(callId) || gc.status === 'hangup') return NOTHING;
  if (gc.status === 'hangingup') return { ...NOTHING, hangup: [callId] };
  const hangupOthers = gc.answer_method === 'hangup_others';
  if (gc.answer_call_id !== NIL_UUID) return hangupOthers ? { ...NOTHING, hangup: [callId] } : NOTHING;
  const next: Groupcall = { ...gc, answer_call_id: callId, tm_update: isoTime(ctx.nowMs) };
  const others = hangupOthers ? [...live].filter((id) => id !== callId) : [];
  return { next, events: ['groupcall_progressing'], hangup: others };
}

/** One of the groupcall's calls hung up (`live` no longer holds it). */
export function callEnded(gc: Groupcall, callId: string, live: ReadonlySet<string>, ctx: StepContext): GroupcallStep {
  if (!gc.call_ids.includes(callId) || gc.status === 'hangup') return NOTHING;
  const next: Groupcall = { ...gc, call_count: live.size, tm_update: isoTime(ctx.nowMs) };
  if (live.size > 0) return { next, events: [], hangup: [] };
  return noCallLeft(next, ctx);
}

/** The API asked to hang the groupcall up: every live call is hung up and the groupcall ends with the last of them. */
export function hangupAsked(gc: Groupcall, live: ReadonlySet<string>, ctx: StepContext): GroupcallStep {
  if (gc.status !== 'progressing') return NOTHING;
  if (live.size === 0) return ended(gc, ctx);
  const moved = moveGroupcall(gc, 'hangingup', ctx);
  return moved ? { next: moved, events: [], hangup: [...live] } : NOTHING;
}
