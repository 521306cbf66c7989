import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { actionRef } from './option-fields.ts';

/** `loop_count` when the option is absent: VoIPBIN's default, 0, so the jump is not taken. */
export const DEFAULT_LOOP_COUNT = 0;

/** `goto`: jump to `target_id` at most `loop_count` times [0], then fall through. */
export const gotoAction = defineAction({
  type: 'goto',
  schema: Type.Object(
    {
      target_id: actionRef('id of the action to jump to'),
      loop_count: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 1000,
          description: 'how many times the jump is taken (0 when absent: never)',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  needs: 'none',
  async run(ctx, option) {
    return ctx.loops.take(ctx.actionId, option.loop_count ?? DEFAULT_LOOP_COUNT)
      ? { jump: option.target_id }
      : undefined;
  },
});
