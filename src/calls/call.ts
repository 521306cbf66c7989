import { NIL_UUID, clonePlain, isoTime } from '../shared/index.ts';
import type { Address } from './address.ts';
import type { CallStatus } from './call-status-types.ts';

/** What drives a call: a flow (API- or number-created calls), a conference, or a SIP service. */
export type CallType = 'flow' | 'conference' | 'sip-service';

/** Seen from callbin. */
export type CallDirection = 'incoming' | 'outgoing';

/** docs/calls.md "Live control endpoints": `in` the call cannot hear, `out` the call is not heard, `both` silence both ways. */
export type MuteDirection = '' | 'in' | 'out' | 'both';

/** Which side ended the call (`""` while it is live). */
export type HangupBy = '' | 'remote' | 'local';

/** Why the call ended (`""` while it is live); `drain`: cut when the node's drain deadline came (docs/calls.md "Hangup reasons"). */
export type HangupReason =
  | ''
  | 'normal'
  | 'failed'
  | 'busy'
  | 'cancel'
  | 'timeout'
  | 'noanswer'
  | 'dialout'
  | 'amd'
  | 'drain';

/** Every non-empty hangup reason a client may ask for, in the spec's order (`drain` is callbin's own). */
export const HANGUP_REASONS = [
  'normal',
  'failed',
  'busy',
  'cancel',
  'timeout',
  'noanswer',
  'dialout',
  'amd',
] as const satisfies readonly HangupReason[];

/** How one route attempt ended: a hangup reason, `unhealthy` (skipped), `answered`, or `""` while running. */
export type RouteAttemptReason = HangupReason | 'unhealthy' | 'answered';

/** One provider tried for an outgoing `tel` call, in order. */
export interface RouteAttempt {
  route_id: string;
  provider_id: string;
  /** Final SIP status of the attempt; 0 when there was none (timeout, transport error, skipped, running). */
  sip_status: number;
  reason: RouteAttemptReason;
  tm_start: string;
  /** Absent while the attempt runs. */
  tm_end?: string;
}

/** The flow action executing now on the call. */
export interface CallAction {
  id: string;
  next_id: string;
  type: string;
  option: Record<string, unknown>;
  tm_execute: string;
}

/** One leg's media quality at hangup (docs/calls.md "Media quality"); the media layer fills it. */
export interface CallLegQos {
  leg_id: string;
  codec: string;
  packets_sent: number;
  packets_received: number;
  bytes_sent: number;
  bytes_received: number;
  packets_lost: number;
  loss_pct: number;
  jitter_ms: number;
  rtt_ms: number | null;
  late: number;
  discarded: number;
  mos: number | null;
}

/** The Call object exactly as the API shows it (docs/calls.md); unset ids are the nil UUID. */
export interface Call {
  id: string;
  customer_id: string;
  /** VoIPBIN's owner of a call (an agent, a queue): always `""` and the nil UUID (docs/calls.md). */
  owner_type: string;
  owner_id: string;
  flow_id: string;
  activeflow_id: string;
  type: CallType;
  master_call_id: string;
  chained_call_ids: string[];
  recording_id: string;
  recording_ids: string[];
  conference_id: string;
  /** The groupcall that dialled the call (docs/api.md "Groupcalls"); the nil UUID for none. */
  groupcall_id: string;
  source: Address;
  destination: Address;
  status: CallStatus;
  action: CallAction;
  direction: CallDirection;
  mute_direction: MuteDirection;
  hold: boolean;
  hangup_by: HangupBy;
  hangup_reason: HangupReason;
  route_attempts: RouteAttempt[];
  metadata: Record<string, unknown>;
  tm_create: string;
  tm_ringing?: string;
  tm_progressing?: string;
  tm_hangup?: string;
  /** Per leg media quality, set at hangup on calls that had media (docs/calls.md "Media quality"). */
  qos?: CallLegQos[];
  tm_update: string;
}

/** The `action` of a call that runs no action now. */
export function emptyAction(): CallAction {
  return { id: NIL_UUID, next_id: NIL_UUID, type: '', option: {}, tm_execute: '' };
}

/** The fields a new call is built from; everything else starts unset. */
export interface NewCallFields {
  id: string;
  customer_id: string;
  type: CallType;
  direction: CallDirection;
  source: Address;
  destination: Address;
  status: Extract<CallStatus, 'dialing' | 'ringing'>;
  flow_id?: string;
  activeflow_id?: string;
  master_call_id?: string;
  groupcall_id?: string;
  metadata?: Record<string, unknown>;
  route_attempts?: RouteAttempt[];
}

// The one timestamp form (shared/time.ts), re-exported for the calls files that build a call.
export { isoTime };

/** A new Call; a call created `ringing` (incoming) has `tm_ringing = tm_create`. */
export function newCall(fields: NewCallFields, nowMs: number): Call {
  const now = isoTime(nowMs);
  const call: Call = {
    id: fields.id,
    customer_id: fields.customer_id,
    owner_type: '',
    owner_id: NIL_UUID,
    flow_id: fields.flow_id ?? NIL_UUID,
    activeflow_id: fields.activeflow_id ?? NIL_UUID,
    type: fields.type,
    master_call_id: fields.master_call_id ?? NIL_UUID,
    chained_call_ids: [],
    recording_id: NIL_UUID,
    recording_ids: [],
    conference_id: NIL_UUID,
    groupcall_id: fields.groupcall_id ?? NIL_UUID,
    source: { ...fields.source },
    destination: { ...fields.destination },
    status: fields.status,
    action: emptyAction(),
    direction: fields.direction,
    mute_direction: '',
    hold: false,
    hangup_by: '',
    hangup_reason: '',
    route_attempts: [...(fields.route_attempts ?? [])],
    metadata: { ...(fields.metadata ?? {}) },
    tm_create: now,
    tm_update: now,
  };
  if (fields.status === 'ringing') call.tm_ringing = now;
  return call;
}

/**
 * The fields of `call` in the documented order (docs/calls.md), nested values shared. Calls are copied
 * on every change and every read; an object literal of known fields stays fast where spreading
 * calls of many shapes (optional `tm_*` fields, patches) falls back to V8's generic copy, as slow as
 * `structuredClone`.
 */
function copyFields(call: Readonly<Call>): Call {
  // Typed without a cast: a field added to Call and missing here is a compile error.
  const fields: Omit<Call, 'tm_ringing' | 'tm_progressing' | 'tm_hangup' | 'qos' | 'tm_update'> = {
    id: call.id,
    customer_id: call.customer_id,
    owner_type: call.owner_type,
    owner_id: call.owner_id,
    flow_id: call.flow_id,
    activeflow_id: call.activeflow_id,
    type: call.type,
    master_call_id: call.master_call_id,
    chained_call_ids: call.chained_call_ids,
    recording_id: call.recording_id,
    recording_ids: call.recording_ids,
    conference_id: call.conference_id,
    groupcall_id: call.groupcall_id,
    source: call.source,
    destination: call.destination,
    status: call.status,
    action: call.action,
    direction: call.direction,
    mute_direction: call.mute_direction,
    hold: call.hold,
    hangup_by: call.hangup_by,
    hangup_reason: call.hangup_reason,
    route_attempts: call.route_attempts,
    metadata: call.metadata,
    tm_create: call.tm_create,
  };
  const out = fields as Call;
  if (call.tm_ringing !== undefined) out.tm_ringing = call.tm_ringing;
  if (call.tm_progressing !== undefined) out.tm_progressing = call.tm_progressing;
  if (call.tm_hangup !== undefined) out.tm_hangup = call.tm_hangup;
  if (call.qos !== undefined) out.qos = call.qos;
  out.tm_update = call.tm_update;
  return out;
}

/** A new call object: `call` with `patch` applied (nested values shared until {@link toPublic} copies them). */
export function withChanges(call: Readonly<Call>, patch: Partial<Call>): Call {
  return Object.assign(copyFields(call), patch);
}

/** A deep copy of a call, safe to hand outside the domain (events, API responses). */
export function toPublic(call: Call): Call {
  const out = copyFields(call);
  out.chained_call_ids = [...call.chained_call_ids];
  out.recording_ids = [...call.recording_ids];
  out.source = { ...call.source };
  out.destination = { ...call.destination };
  out.action = { ...call.action, option: clonePlain(call.action.option) };
  out.route_attempts = call.route_attempts.map((a) => ({ ...a }));
  out.metadata = clonePlain(call.metadata);
  if (call.qos !== undefined) out.qos = call.qos.map((q) => ({ ...q }));
  return out;
}

/** True once the call reached its final state. */
export function isHungUp(call: Pick<Call, 'status'>): boolean {
  return call.status === 'hangup';
}
