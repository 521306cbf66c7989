import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { requireCall } from './call-media.ts';

/** The hangup reasons of the calls spec; `""` lets the call pick its own. */
export const HANGUP_REASONS = [
  '',
  'normal',
  'failed',
  'busy',
  'cancel',
  'timeout',
  'noanswer',
  'dialout',
  'amd',
] as const;

/** `hangup`: hang the call up, with an explicit reason when given. */
export const hangupAction = defineAction({
  type: 'hangup',
  schema: Type.Object(
    { reason: Type.Optional(Type.Enum(HANGUP_REASONS, { description: 'hangup reason' })) },
    { additionalProperties: false },
  ),
  needs: 'call',
  async run(ctx, option) {
    await ctx.calls.hangup(requireCall(ctx), option.reason ?? '');
    return { end: true } as const;
  },
});
