import { Type } from 'typebox';
import { CALL_STATUSES } from '../../calls/index.ts';
import { defineAction } from './action-definition.ts';
import { actionRef } from './option-fields.ts';
import { jumpTo } from './jump-target.ts';
import { requireCall } from './call-media.ts';

/**
 * `condition_call_status`: compares the call's current status with `status`; equal moves on, else
 * (or when the call is no longer known) jumps to `false_target_id` (docs/flows.md "Action options").
 */
export const conditionCallStatusAction = defineAction({
  type: 'condition_call_status',
  schema: Type.Object(
    {
      status: Type.Enum([...CALL_STATUSES], { description: 'the call status the condition asks for' }),
      false_target_id: Type.Optional(actionRef('id of the action when the condition is false', true)),
    },
    { additionalProperties: false },
  ),
  needs: 'call',
  async run(ctx, option) {
    const call = await ctx.calls.get(requireCall(ctx));
    return call?.status === option.status ? undefined : jumpTo(option.false_target_id);
  },
});
