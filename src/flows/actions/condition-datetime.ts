import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { actionRef, Comparison, TIMEZONE_PATTERN } from './option-fields.ts';
import { compare, compareTuples } from '../comparison.ts';
import { zonedParts } from '../zoned-time.ts';
import { jumpTo } from './jump-target.ts';

/** `condition_datetime`: compare the current time in a zone; false jumps to `false_target_id`. */
export const conditionDatetimeAction = defineAction({
  type: 'condition_datetime',
  schema: Type.Object(
    {
      condition: Comparison,
      hour: Type.Optional(Type.Integer({ minimum: 0, maximum: 23 })),
      minute: Type.Optional(Type.Integer({ minimum: 0, maximum: 59 })),
      day: Type.Optional(Type.Integer({ minimum: 1, maximum: 31, description: 'day of the month' })),
      month: Type.Optional(Type.Integer({ minimum: 1, maximum: 12 })),
      weekdays: Type.Optional(
        Type.Array(Type.Integer({ minimum: 0, maximum: 6, description: '0 = Sunday' }), {
          maxItems: 7,
          uniqueItems: true,
        }),
      ),
      timezone: Type.Optional(
        Type.String({
          pattern: TIMEZONE_PATTERN,
          description: 'an IANA time zone such as Europe/Berlin (default UTC)',
          'x-reason': 'INVALID_TIMEZONE',
          'x-check': 'timezone',
        }),
      ),
      false_target_id: Type.Optional(actionRef('id of the action when the condition is false', true)),
    },
    { additionalProperties: false },
  ),
  needs: 'none',
  async run(ctx, option) {
    const now = zonedParts(ctx.clock.now(), option.timezone ?? 'UTC');
    const fields = (['month', 'day', 'hour', 'minute'] as const).filter((f) => option[f] !== undefined);
    const holdsFields =
      fields.length === 0 ||
      compare(
        option.condition,
        compareTuples(
          fields.map((f) => now[f]),
          fields.map((f) => option[f] ?? 0),
        ),
        0,
      );
    const holdsWeekday =
      option.weekdays === undefined || option.weekdays.length === 0 || option.weekdays.includes(now.weekday);
    return holdsFields && holdsWeekday ? undefined : jumpTo(option.false_target_id);
  },
});
