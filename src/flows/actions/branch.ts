import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { actionRef } from './option-fields.ts';
import { DIGITS_VARIABLE } from '../variables.ts';
import { jumpTo } from './jump-target.ts';

/** `branch`: jump by a variable's value (default the collected digits), then reset the variable. */
export const branchAction = defineAction({
  type: 'branch',
  schema: Type.Object(
    {
      variable: Type.Optional(
        Type.String({ minLength: 1, maxLength: 256, description: 'variable name, default voipbin.call.digits' }),
      ),
      target_ids: Type.Optional(
        Type.Record(Type.String(), actionRef('id of the action for this value'), { maxProperties: 100 }),
      ),
      default_target_id: Type.Optional(actionRef('id of the action when no value matches', true)),
    },
    { additionalProperties: false },
  ),
  needs: 'none',
  async run(ctx, option) {
    const name = option.variable ?? DIGITS_VARIABLE;
    const value = ctx.variables.get(name);
    ctx.variables.set(name, '');
    const targets = option.target_ids ?? {};
    return jumpTo(Object.hasOwn(targets, value) ? targets[value] : option.default_target_id);
  },
});
