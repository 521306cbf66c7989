import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { actionRef, Comparison } from './option-fields.ts';
import { compare } from '../comparison.ts';
import { jumpTo } from './jump-target.ts';

/** `condition_variable`: compare a variable; true moves on, false jumps to `false_target_id`. */
export const conditionVariableAction = defineAction({
  type: 'condition_variable',
  schema: Type.Object(
    {
      condition: Comparison,
      variable: Type.String({ maxLength: 1024, description: 'text with ${…} variables, substituted before comparing' }),
      value_type: Type.Enum(['string', 'number', 'length'], { description: 'what is compared' }),
      value_string: Type.Optional(Type.String({ maxLength: 32_768 })),
      value_number: Type.Optional(Type.Number()),
      value_length: Type.Optional(Type.Integer({ minimum: 0, maximum: 32_768 })),
      false_target_id: Type.Optional(actionRef('id of the action when the condition is false', true)),
    },
    { additionalProperties: false },
  ),
  needs: 'none',
  async run(_ctx, option) {
    const text = option.variable;
    let holds: boolean;
    if (option.value_type === 'number')
      holds = compare(option.condition, Number(text.trim() === '' ? Number.NaN : text), option.value_number ?? 0);
    else if (option.value_type === 'length') holds = compare(option.condition, text.length, option.value_length ?? 0);
    else holds = compare(option.condition, text, option.value_string ?? '');
    return holds ? undefined : jumpTo(option.false_target_id);
  },
});
