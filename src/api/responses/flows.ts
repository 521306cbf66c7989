import { Type } from 'typebox';
import { Id, StoredTimes, listOf, obj, openMap } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** One action of a flow (docs/flows.md). */
export const FlowActionAnswer = obj({
  id: Id,
  next_id: Id,
  type: Type.String(),
  option: openMap("the action's options"),
});

/** A stored flow. */
export const Flow = obj(
  {
    id: Id,
    customer_id: Id,
    type: Type.Literal('flow'),
    name: Type.String(),
    detail: Type.String(),
    actions: Type.Array(FlowActionAnswer),
    on_complete_flow_id: Id,
    direct_hash: Type.String({ description: 'the address of the flow without a customer domain; "" when none' }),
    ...StoredTimes,
  },
  'a flow',
);

/** `/flows`. */
export const flowResponses: ResponseMap = {
  'GET /flows/schema': openMap('the JSON Schema of every flow action'),
  'POST /flows': Flow,
  'GET /flows': listOf(Flow, 'a page of flows'),
  'GET /flows/:id': Flow,
  'PUT /flows/:id': Flow,
  'DELETE /flows/:id': Flow,
  'POST /flows/:id/direct-hash-regenerate': Flow,
};
