import { Type } from 'typebox';
import { Id, Time, TimeOrNull, listOf, obj, oneOf, openMap, opt } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** An action error recorded on the activeflow. */
const ActionError = obj({ action_id: Id, type: Type.String(), code: Type.String(), message: Type.String() });

/** The action the cursor is on; the nil action when none. */
const CurrentAction = obj({
  id: Id,
  next_id: Id,
  type: Type.String(),
  option: openMap("the action's options"),
  tm_execute: opt(TimeOrNull),
});

/** One executed action, in order. */
const ExecutedAction = obj({
  id: Id,
  type: Type.String(),
  tm_execute: Time,
  skipped: opt(Type.Boolean()),
  error: opt(ActionError),
});

/** An execution of a flow (docs/flows.md "Activeflow"). */
export const Activeflow = obj(
  {
    id: Id,
    customer_id: Id,
    flow_id: Id,
    status: oneOf(['running', 'ended']),
    reference_type: oneOf(['call', 'api']),
    reference_id: Id,
    reference_activeflow_id: Id,
    on_complete_flow_id: Id,
    forward_action_id: Id,
    current_action: CurrentAction,
    executed_actions: Type.Array(ExecutedAction),
    executed_count: opt(Type.Integer()),
    variables: openMap('the flow variables', Type.String()),
    webhook_uri: Type.String(),
    webhook_method: Type.String(),
    tm_create: Time,
    tm_update: Time,
    tm_delete: opt(Time),
  },
  'an activeflow',
);

/** `/activeflows`. */
export const activeflowResponses: ResponseMap = {
  'POST /activeflows': Activeflow,
  'GET /activeflows': listOf(Activeflow, 'a page of activeflows'),
  'GET /activeflows/:id': Activeflow,
  'DELETE /activeflows/:id': Activeflow,
  'POST /activeflows/:id/stop': Activeflow,
};
