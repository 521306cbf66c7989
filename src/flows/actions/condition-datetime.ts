import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { actionRef, Comparison, TIMEZONE_PATTERN } from './option-fields.ts';
import { compare, compareTuples } from '../comparison.ts';
import { zonedParts } from '../zoned-time.ts';
import { jumpTo } from './jump-target.ts';

/** Lowest value of each field that is compared; below it (or absent) the field is not checked. */
const FIRST_VALUE = { month: 1, day: 1, hour: 0, minute: 0 } as const;

/** Whether a field takes part: VoIPBIN's "don't check" is `0`/`-1` for day and month, `-1` for hour and minute. */
function isChecked(field: keyof typeof FIRST_VALUE, value: number | undefined): value is number {
  return value !== undefined && value >= FIRST_VALUE[field];
}

/**
 * `condition_datetime`: compare the current time in a zone, the checked fields together as one
 * (month, day, hour, minute) value; false jumps to `false_target_id`.
 */
export const conditionDatetimeAction = defineAction({
  type: 'condition_datetime',
  schema: Type.Object(
    {
      condition: Comparison,
      hour: Type.Optional(Type.Integer({ minimum: -1, maximum: 23, description: '0-23; -1 = any' })),
      minute: Type.Optional(Type.Integer({ minimum: -1, maximum: 59, description: '0-59; -1 = any' })),
      day: Type.Optional(Type.Integer({ minimum: -1, maximum: 31, description: 'day of the month; 0 or -1 = any' })),
      month: Type.Optional(Type.Integer({ minimum: -1, maximum: 12, description: '1-12; 0 or -1 = any' })),
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
    const fields = (['month', 'day', 'hour', 'minute'] as const).filter((f) => isChecked(f, option[f]));
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
