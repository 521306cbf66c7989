import { Type } from 'typebox';
import { FieldIssue, Id, StoredTimes, listOf, obj, openMap, opt } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** One action of a flow (docs/flows.md). */
export const FlowActionAnswer = obj({
  id: Id,
  next_id: Id,
  type: Type.String(),
  option: openMap("the action's options"),
});

/** One finding of the flow linter (docs/testing-your-flows.md "Linter"). */
export const LintWarningAnswer = obj({
  action_id: Type.String({ description: 'the action\'s id; "" for an action given without one to /flows/lint' }),
  field: Type.String({ description: 'where the action is: actions[3], actions[2].option.actions[0]' }),
  code: Type.String({ description: 'UNREACHABLE_ACTION, LOOP_WITHOUT_EXIT, … (docs/testing-your-flows.md)' }),
  message: Type.String(),
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
    warnings: opt(
      Type.Array(LintWarningAnswer, { description: "the linter's findings: on POST, PUT and GET of one flow" }),
    ),
    ...StoredTimes,
  },
  'a flow',
);

/** `/flows`. */
export const flowResponses: ResponseMap = {
  'GET /flows/schema': openMap('the JSON Schema of every flow action'),
  'POST /flows': Flow,
  'POST /flows/lint': obj(
    { warnings: Type.Array(LintWarningAnswer), errors: Type.Array(FieldIssue) },
    'a flow checked, not saved: what validation refuses and what the linter warns of',
  ),
  'GET /flows': listOf(Flow, 'a page of flows'),
  'GET /flows/:id': Flow,
  'PUT /flows/:id': Flow,
  'DELETE /flows/:id': Flow,
  'POST /flows/:id/direct-hash-regenerate': Flow,
};
