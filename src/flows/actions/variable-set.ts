import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';

/** `variable_set`: set an activeflow variable (the value is substituted first). */
export const variableSetAction = defineAction({
  type: 'variable_set',
  schema: Type.Object(
    {
      key: Type.String({ minLength: 1, maxLength: 256, description: 'variable name' }),
      value: Type.Optional(Type.String({ maxLength: 32_768 })),
    },
    { additionalProperties: false },
  ),
  needs: 'none',
  async run(ctx, option) {
    ctx.variables.set(option.key, option.value ?? '');
    return undefined;
  },
});
