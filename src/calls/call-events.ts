import { toPublic } from './call.ts';
import type { Call } from './call.ts';
import type { CallStatus } from './call-status-types.ts';

/** Every event the calls domain emits (docs/events.md), in the order they can first appear. */
export const CALL_EVENT_TYPES = [
  'call_created',
  'call_updated',
  'call_ringing',
  'call_progressing',
  'call_terminating',
  'call_canceling',
  'call_hangup',
] as const;

/** One call event type. */
export type CallEventType = (typeof CALL_EVENT_TYPES)[number];

/** One event about a call: its type and the call exactly as it was right after the change. */
export interface CallEvent {
  type: CallEventType;
  call: Call;
}

/** A new call state and the events that describe the change, written together in one transaction. */
export interface CallChange {
  call: Call;
  events: readonly CallEvent[];
}

const STATUS_EVENTS: Readonly<Partial<Record<CallStatus, CallEventType>>> = {
  ringing: 'call_ringing',
  progressing: 'call_progressing',
  terminating: 'call_terminating',
  canceling: 'call_canceling',
  hangup: 'call_hangup',
};

/** The change for a new call: `call_created` only. */
export function createdChange(call: Call): CallChange {
  const snapshot = toPublic(call);
  return { call: snapshot, events: [{ type: 'call_created', call: snapshot }] };
}

/** The change from `before` to `after`: `call_updated`, then `call_<status>` when the status moved. */
export function updatedChange(before: Call, after: Call): CallChange {
  const snapshot = toPublic(after);
  const events: CallEvent[] = [{ type: 'call_updated', call: snapshot }];
  const statusEvent = before.status === after.status ? undefined : STATUS_EVENTS[after.status];
  if (statusEvent) events.push({ type: statusEvent, call: snapshot });
  return { call: snapshot, events };
}
