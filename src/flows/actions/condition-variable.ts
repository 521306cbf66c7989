import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { actionRef, Comparison } from './option-fields.ts';

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
});
