import { Type } from 'typebox';
import type { HangupReason } from '../../calls/index.ts';
import { NIL_UUID } from '../../shared/index.ts';
import type { ActionContext } from './action-definition.ts';
import { defineAction } from './action-definition.ts';
import { requireCall } from './call-media.ts';
import { resourceIdOrUnset } from './option-fields.ts';

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

/**
 * The reason the call `referenceId` ended with, when it is a call of the customer that has ended
 * with a reason a client could give; otherwise undefined (the action's own reason applies).
 */
async function referencedReason(
  ctx: ActionContext,
  referenceId: string | undefined,
): Promise<HangupReason | undefined> {
  if (referenceId === undefined || referenceId === '' || referenceId === NIL_UUID) return undefined;
  const call = await ctx.calls.get(referenceId);
  if (call === undefined || call.customer_id !== ctx.customerId || call.status !== 'hangup') return undefined;
  // `drain` is callbin's own reason for its node stopping; it is not passed on to another call.
  if (call.hangup_reason === '' || call.hangup_reason === 'drain') return undefined;
  return call.hangup_reason;
}

/**
 * `hangup`: hang the call up, with an explicit reason when given; with `reference_id`, with the
 * reason that call ended with (when it is the customer's and has ended; otherwise as without it).
 */
export const hangupAction = defineAction({
  type: 'hangup',
  schema: Type.Object(
    {
      reason: Type.Optional(Type.Enum(HANGUP_REASONS, { description: 'hangup reason' })),
      reference_id: Type.Optional(resourceIdOrUnset('call whose hangup reason this call ends with')),
    },
    { additionalProperties: false },
  ),
  needs: 'call',
  async run(ctx, option) {
    const callId = requireCall(ctx);
    const relayed = await referencedReason(ctx, option.reference_id);
    await ctx.calls.hangup(callId, relayed ?? option.reason ?? '');
    return { end: true } as const;
  },
});
