import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { actionRef } from './option-fields.ts';

/** `goto`: jump to `target_id` at most `loop_count` times, then fall through. */
export const gotoAction = defineAction({
  type: 'goto',
  schema: Type.Object(
    {
      target_id: actionRef('id of the action to jump to'),
      loop_count: Type.Optional(
        Type.Integer({ minimum: 0, maximum: 1000, description: 'how many times the jump is taken' }),
      ),
    },
    { additionalProperties: false },
  ),
  needs: 'none',
  async run(ctx, option) {
    return ctx.loops.take(ctx.actionId, option.loop_count) ? { jump: option.target_id } : undefined;
  },
});
