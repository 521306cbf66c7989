import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { resourceId } from './option-fields.ts';
import { NotFoundError } from '../../shared/index.ts';

/** `fetch_flow`: run another stored flow's actions next. */
export const fetchFlowAction = defineAction({
  type: 'fetch_flow',
  schema: Type.Object({ flow_id: resourceId('stored flow to run') }, { additionalProperties: false }),
  needs: 'none',
  async run(ctx, option) {
    const flow = await ctx.flows.getFlow(ctx.customerId, option.flow_id);
    if (flow === undefined) throw new NotFoundError('FLOW_NOT_FOUND', `flow ${option.flow_id} does not exist`);
    return { push: flow.actions };
  },
});
