import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { resourceId } from './option-fields.ts';

/** `fetch_flow`: run another stored flow's actions next. */
export const fetchFlowAction = defineAction({
  type: 'fetch_flow',
  schema: Type.Object({ flow_id: resourceId('stored flow to run') }, { additionalProperties: false }),
  needs: 'none',
});
