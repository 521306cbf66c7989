import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { actionRef } from './option-fields.ts';
import { jumpTo } from './jump-target.ts';
import { DIGITS_VARIABLE } from '../variables.ts';

/** Most digits `length` may ask for, as `digits_receive` collects at most 100 at once. */
const MAX_DIGITS_LENGTH = 100;

/**
 * True when the received digits satisfy the condition: at least `length` of them (`length` > 0), or
 * `key` found among them (`key` not empty). Neither given: false.
 */
export function digitsConditionHolds(digits: string, length: number, key: string): boolean {
  if (length > 0 && digits.length >= length) return true;
  return key !== '' && digits.includes(key);
}

/**
 * `condition_call_digits`: checks the digits received so far (`voipbin.call.digits`); true moves on,
 * false jumps to `false_target_id` (docs/flows.md "Action options").
 */
export const conditionCallDigitsAction = defineAction({
  type: 'condition_call_digits',
  schema: Type.Object(
    {
      length: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: MAX_DIGITS_LENGTH,
          description: 'true when at least this many digits were received; 0 = not checked',
        }),
      ),
      key: Type.Optional(
        Type.String({
          pattern: '^[0-9*#A-D]*$',
          maxLength: 16,
          description: 'true when the received digits contain these DTMF symbols (0-9 * # A-D); "" = not checked',
        }),
      ),
      false_target_id: Type.Optional(actionRef('id of the action when the condition is false', true)),
    },
    { additionalProperties: false },
  ),
  needs: 'call',
  async run(ctx, option) {
    const holds = digitsConditionHolds(ctx.variables.get(DIGITS_VARIABLE), option.length ?? 0, option.key ?? '');
    return holds ? undefined : jumpTo(option.false_target_id);
  },
});
