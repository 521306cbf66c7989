import { Type } from 'typebox';
import { CALL_STATUSES, HANGUP_REASONS } from '../../calls/index.ts';
import { Address, Id, Ids, Time, listOf, obj, oneOf, openMap, opt } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** The flow action a call executes now (`type` `""` and nil ids when none). */
const CallAction = obj({
  id: Id,
  next_id: Id,
  type: Type.String(),
  option: openMap("the action's options"),
  tm_execute: Type.Union([Type.String({ description: 'RFC 3339 timestamp, or "" when no action runs' }), Type.Null()]),
});

/** One provider tried for an outgoing `tel` call (docs/calls.md "Route failover"). */
const RouteAttempt = obj({
  route_id: Id,
  provider_id: Id,
  sip_status: Type.Integer({ description: 'final SIP status of the attempt; 0 when none' }),
  reason: Type.String({ description: 'a hangup reason, unhealthy, answered, or "" while running' }),
  tm_start: Time,
  tm_end: opt(Time),
});

/** One leg's media quality at hangup (docs/calls.md "Media quality"). */
const LegQos = obj({
  leg_id: Type.String({ description: 'the media leg' }),
  codec: Type.String(),
  packets_sent: Type.Integer(),
  packets_received: Type.Integer(),
  bytes_sent: Type.Integer(),
  bytes_received: Type.Integer(),
  packets_lost: Type.Integer(),
  loss_pct: Type.Number({ description: 'packets lost in percent of those expected' }),
  jitter_ms: Type.Number({ description: 'interarrival jitter (RFC 3550 A.8)' }),
  rtt_ms: Type.Union([Type.Number(), Type.Null()], { description: 'from RTCP; null where the peer sent none' }),
  late: Type.Integer(),
  discarded: Type.Integer(),
  mos: Type.Union([Type.Number(), Type.Null()], { description: 'E-model (ITU-T G.107) estimate; null without media' }),
});

/** The Call object (docs/calls.md). */
export const Call = obj(
  {
    id: Id,
    customer_id: Id,
    owner_type: opt(Type.String({ description: 'who owns the call: "" for the customer' })),
    owner_id: opt(Id),
    flow_id: Id,
    activeflow_id: Id,
    type: oneOf(['flow', 'conference', 'sip-service']),
    master_call_id: Id,
    chained_call_ids: Ids,
    recording_id: Id,
    recording_ids: Ids,
    conference_id: Id,
    groupcall_id: opt(Id),
    source: Address,
    destination: Address,
    status: oneOf(CALL_STATUSES),
    action: CallAction,
    direction: oneOf(['incoming', 'outgoing']),
    mute_direction: oneOf(['', 'in', 'out', 'both']),
    hold: Type.Boolean(),
    hangup_by: oneOf(['', 'remote', 'local']),
    hangup_reason: oneOf(['', ...HANGUP_REASONS, 'drain']),
    route_attempts: Type.Array(RouteAttempt),
    metadata: openMap("the client's metadata, echoed"),
    tm_create: Time,
    tm_ringing: opt(Time),
    tm_progressing: opt(Time),
    tm_hangup: opt(Time),
    qos: opt(Type.Array(LegQos)),
    tm_update: Time,
    tm_delete: opt(Time),
  },
  'a call',
);

/** A group call as `POST /calls` lists it beside the calls (callbin dials none this way). */
export const GroupcallItem = openMap('a group call');

/** `/calls` and its live controls, by `METHOD path` below the API prefix. */
export const callResponses: ResponseMap = {
  'POST /calls': obj(
    { calls: Type.Array(Call), groupcalls: Type.Array(GroupcallItem) },
    'the calls created, one per destination',
  ),
  'GET /calls': listOf(Call, 'a page of calls'),
  'GET /calls/:id': Call,
  'DELETE /calls/:id': Call,
  'POST /calls/:id/chained_calls': obj({ calls: Type.Array(Call) }, 'the chained calls created'),
};

/** The live controls that answer the call as it is after the command. */
export const CALL_CONTROL_ANSWERS = [
  'POST hangup',
  'POST talk',
  'POST play',
  'POST media_stop',
  'POST hold',
  'DELETE hold',
  'POST moh',
  'DELETE moh',
  'POST mute',
  'DELETE mute',
  'POST silence',
  'DELETE silence',
  'POST recording_start',
  'POST recording_stop',
  'POST digits',
  'POST redirect',
] as const;

for (const control of CALL_CONTROL_ANSWERS) {
  const [method, path] = control.split(' ');
  callResponses[`${method} /calls/:id/${path}`] = Call;
}
