import { Type } from 'typebox';
import { ErrorEnvelope, Time, obj, oneOf, openMap, opt } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** One start or end of an action on the simulated timeline. */
const Step = obj({
  tm: Time,
  at_ms: Type.Integer(),
  action_id: Type.String(),
  action_type: Type.String(),
  event: oneOf(['start', 'end']),
  result: opt(Type.String()),
  next_action_id: opt(Type.String()),
  error: opt(obj({ code: Type.String(), message: Type.String() })),
  detail: opt(openMap('what the simulated call, callees and HTTP saw during the action')),
});

const Request = obj({
  tm: Time,
  at_ms: Type.Integer(),
  action_id: Type.String(),
  kind: oneOf(['webhook_send', 'fetch', 'fetch_flow']),
  method: Type.String(),
  url: Type.String(),
  answered_by: oneOf(['scripted', 'real', 'default']),
  status: Type.Integer(),
  error: opt(Type.String()),
});

/** What a simulation answers (docs/testing-your-flows.md "Simulator"). */
export const SimulationOutput = obj(
  {
    steps: Type.Array(Step),
    variables: openMap("the activeflow's variables at the end", Type.String()),
    events: Type.Array(obj({ tm: Time, type: Type.String(), data: openMap('the resource as the event carries it') })),
    requests: Type.Array(Request),
    hangup: Type.Union([obj({ by: Type.String(), reason: Type.String(), tm: Time }), Type.Null()]),
    expectations: Type.Array(obj({ expectation: Type.String(), met: Type.Boolean(), detail: Type.String() })),
    stopped: Type.Union([
      obj({ reason: oneOf(['max_steps', 'max_virtual_time', 'nothing_left']), tm: Time, detail: Type.String() }),
      Type.Null(),
    ]),
    duration_ms: Type.Integer(),
  },
  'a simulated run of a flow',
);

/** `/simulations`. */
export const simulationResponses: ResponseMap = {
  'POST /simulations': { responses: { 200: SimulationOutput, 404: ErrorEnvelope } },
};
