import { NIL_UUID, isoTime } from '../shared/index.ts';
import type { Address } from './address.ts';

/** Every status of a groupcall, in lifecycle order (docs/api.md "Groupcalls"). */
export const GROUPCALL_STATUSES = ['progressing', 'hangingup', 'hangup'] as const;

/** Where a groupcall is: dialling or connected (`progressing`), ending its calls (`hangingup`), over (`hangup`). */
export type GroupcallStatus = (typeof GROUPCALL_STATUSES)[number];

/** `ring_all`: every destination at once; `linear`: one after another, the next when one ends unanswered. */
export const GROUPCALL_RING_METHODS = ['ring_all', 'linear'] as const;
export type GroupcallRingMethod = (typeof GROUPCALL_RING_METHODS)[number];

/** `hangup_others`: the first call that answers wins and the others are hung up; `""`: the others keep ringing. */
export const GROUPCALL_ANSWER_METHODS = ['hangup_others', ''] as const;
export type GroupcallAnswerMethod = (typeof GROUPCALL_ANSWER_METHODS)[number];

/** The most destinations one groupcall dials (400 `TOO_MANY_ITEMS` above it). */
export const MAX_GROUPCALL_DESTINATIONS = 32;

/** Every event a groupcall emits (docs/events.md "Event types"), in the order they can first appear. */
export const GROUPCALL_EVENT_TYPES = [
  'groupcall_created',
  'groupcall_progressing',
  'groupcall_hangup',
  'groupcall_deleted',
] as const;
export type GroupcallEventType = (typeof GROUPCALL_EVENT_TYPES)[number];

/** The groupcall object exactly as the API shows it (docs/api.md "Groupcalls"); unset ids are the nil UUID. */
export interface Groupcall {
  id: string;
  customer_id: string;
  /** VoIPBIN's owner (an agent, a queue): always `""` and the nil UUID. */
  owner_type: string;
  owner_id: string;
  status: GroupcallStatus;
  /** The flow given by `flow_id`, or the nil UUID for inline `actions`. */
  flow_id: string;
  source: Address;
  destinations: Address[];
  /** Always the nil UUID: callbin's groupcalls are created by the API only. */
  master_call_id: string;
  /** Always the nil UUID: callbin nests no groupcalls. */
  master_groupcall_id: string;
  ring_method: GroupcallRingMethod;
  answer_method: GroupcallAnswerMethod;
  /** The call that answered first; the nil UUID until one does. */
  answer_call_id: string;
  /** Every call dialled for the groupcall, in the order dialled. */
  call_ids: string[];
  /** Always the nil UUID and `[]`: callbin nests no groupcalls. */
  answer_groupcall_id: string;
  groupcall_ids: string[];
  /** Calls of the groupcall not yet hung up. */
  call_count: number;
  /** Always 0 (no nested groupcalls). */
  groupcall_count: number;
  /** `linear`: the index in `destinations` dialled last; `ring_all`: 0. */
  dial_index: number;
  tm_create: string;
  tm_update: string;
}

/** One event about a groupcall: its type and the groupcall right after the change. */
export interface GroupcallEvent {
  type: GroupcallEventType;
  groupcall: Groupcall;
}

/** A groupcall state and the events that describe the change, written together in one transaction. */
export interface GroupcallChange {
  groupcall: Groupcall;
  events: readonly GroupcallEvent[];
}

/** Where groupcalls are kept: the telephony GroupcallStoreAdapter; the events reach webhooks through the outbox. */
export interface GroupcallStorePort {
  /** Writes the row and, in order, its events in ONE transaction; resolves once committed. A deleted row stays deleted. */
  save(change: GroupcallChange): Promise<void>;
  /** The stored groupcall that is not deleted, or undefined. */
  get(id: string): Promise<Groupcall | undefined>;
  /** Every stored groupcall not `hangup` (crash reconciliation); with `nodeId`, of that node only. */
  listLive(filter?: { nodeId?: string | undefined }): Promise<Groupcall[]>;
}

/** What a new groupcall is made of; everything else starts unset. */
export interface NewGroupcallFields {
  id: string;
  customer_id: string;
  flow_id: string;
  source: Address;
  destinations: readonly Address[];
  ring_method: GroupcallRingMethod;
  answer_method: GroupcallAnswerMethod;
}

/** A new groupcall in `progressing` that has dialled nothing yet. */
export function newGroupcall(fields: NewGroupcallFields, nowMs: number): Groupcall {
  const now = isoTime(nowMs);
  return {
    id: fields.id,
    customer_id: fields.customer_id,
    owner_type: '',
    owner_id: NIL_UUID,
    status: 'progressing',
    flow_id: fields.flow_id,
    source: { ...fields.source },
    destinations: fields.destinations.map((d) => ({ ...d })),
    master_call_id: NIL_UUID,
    master_groupcall_id: NIL_UUID,
    ring_method: fields.ring_method,
    answer_method: fields.answer_method,
    answer_call_id: NIL_UUID,
    call_ids: [],
    answer_groupcall_id: NIL_UUID,
    groupcall_ids: [],
    call_count: 0,
    groupcall_count: 0,
    dial_index: 0,
    tm_create: now,
    tm_update: now,
  };
}

/** A deep copy, safe to hand outside the domain (events, API answers). */
export function copyGroupcall(gc: Groupcall): Groupcall {
  return {
    ...gc,
    source: { ...gc.source },
    destinations: gc.destinations.map((d) => ({ ...d })),
    call_ids: [...gc.call_ids],
    groupcall_ids: [...gc.groupcall_ids],
  };
}

/** A short form of a groupcall id for log lines. */
export function shortGroupcallId(id: string): string {
  return `${id.slice(0, 8)}…`;
}
