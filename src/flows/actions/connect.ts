import { Type } from 'typebox';
import { AddressSchema } from '../address.ts';
import { defineAction } from './action-definition.ts';
import { Anonymous, durationSec } from './option-fields.ts';
import type { HangupReason } from '../../calls/index.ts';
import { requireCall } from './call-media.ts';
import { ConnectSession } from './connect-session.ts';
import type { ConnectOutcome } from './connect-session.ts';
import { fullAddress } from '../../calls/index.ts';
import { defaultSource } from './dial-address.ts';
import { MAX_DURATION_MS } from './option-fields.ts';

/** How long callees ring when `ring_timeout` is not given (s). */
export const DEFAULT_RING_TIMEOUT_SEC = 60;

/**
 * The flow of a callee dialled by `connect`: it only waits, so the callee stays up while the
 * master's `connect` bridges it; the callee ends by its own hangup, by `connect` or by the master's cascade.
 */
export const CALLEE_HOLD_ACTIONS: readonly Record<string, unknown>[] = [
  { type: 'sleep', option: { duration: MAX_DURATION_MS } },
];

/** The callee reason the master ends with under `relay_reason`: busy or noanswer when nobody answered. */
function relayedReason(outcome: ConnectOutcome): HangupReason | undefined {
  if (outcome.answered) return undefined;
  if (outcome.reasons.includes('busy')) return 'busy';
  if (outcome.timedOut || outcome.reasons.includes('noanswer')) return 'noanswer';
  return undefined;
}

/** `connect`: dial destinations chained to this call and bridge them; the flow waits while bridged. */
export const connectAction = defineAction({
  type: 'connect',
  schema: Type.Object(
    {
      source: Type.Optional(AddressSchema),
      destinations: Type.Array(AddressSchema, { minItems: 1, maxItems: 100 }),
      ring_method: Type.Optional(
        Type.Enum(['ring_all', 'join_all'], { description: 'first answer wins, or everyone joins' }),
      ),
      early_media: Type.Optional(Type.Boolean({ description: "pass the callee's early audio before answer" })),
      relay_reason: Type.Optional(Type.Boolean({ description: "end this call with a callee's busy/noanswer reason" })),
      ring_timeout: Type.Optional(durationSec(1, 600, 'how long the destinations ring')),
      anonymous: Type.Optional(Anonymous),
    },
    { additionalProperties: false },
  ),
  needs: 'media',
  async run(ctx, option, signal) {
    const masterId = requireCall(ctx);
    const ringTimeoutSec = option.ring_timeout ?? DEFAULT_RING_TIMEOUT_SEC;
    const calleeIds = await ctx.calls.dial({
      customer_id: ctx.customerId,
      source: await defaultSource(ctx, option.source, 'caller'),
      destinations: option.destinations.map(fullAddress),
      flow: { actions: CALLEE_HOLD_ACTIONS },
      master_call_id: masterId,
      ring_timeout_sec: ringTimeoutSec,
      ...(option.anonymous === 'yes' ? { anonymous: true } : {}),
    });
    const session = new ConnectSession(ctx, {
      masterId,
      calleeIds,
      ringMethod: option.ring_method ?? 'ring_all',
      earlyMedia: option.early_media === true,
      ringTimeoutMs: ringTimeoutSec * 1000,
    });
    const outcome = await session.run(signal);
    const reason = option.relay_reason === true ? relayedReason(outcome) : undefined;
    if (reason === undefined) return undefined;
    await ctx.calls.hangup(masterId, reason);
    return { end: true } as const;
  },
});
