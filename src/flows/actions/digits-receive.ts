import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { durationMs, MAX_DURATION_MS } from './option-fields.ts';
import { DIGITS_VARIABLE } from '../variables.ts';
import { linkedController } from '../wait.ts';
import type { ActionContext } from './action-definition.ts';
import { answeredCall } from './call-media.ts';

/** How long `digits_receive` waits when `duration` is not given (ms). */
export const DEFAULT_DIGITS_DURATION_MS = 5000;

/**
 * Appends digits to `voipbin.call.digits` until `length` were taken or a terminator arrives; the
 * terminator is appended too, as VoIPBIN keeps it (docs/flows.md "Action options").
 */
async function collectDigits(
  ctx: ActionContext,
  length: number | undefined,
  terminators: string,
  signal: AbortSignal,
): Promise<void> {
  for (let collected = 0; length === undefined || collected < length; ) {
    const { digit } = await ctx.digits.take(signal);
    ctx.variables.set(DIGITS_VARIABLE, ctx.variables.get(DIGITS_VARIABLE) + digit);
    if (terminators.includes(digit)) return;
    collected += 1;
  }
}

/** `digits_receive`: collect DTMF into `voipbin.call.digits` until a length, a terminator (kept) or a timeout. */
export const digitsReceiveAction = defineAction({
  type: 'digits_receive',
  schema: Type.Object(
    {
      duration: Type.Optional(durationMs(1, MAX_DURATION_MS, 'time allowed to finish the input')),
      length: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 100,
          description: 'digits to collect; 0 = no limit (ends on key or duration)',
        }),
      ),
      key: Type.Optional(
        Type.String({ pattern: '^[0-9*#A-D]*$', maxLength: 16, description: 'terminator DTMF symbols (0-9 * # A-D)' }),
      ),
    },
    { additionalProperties: false },
  ),
  needs: 'media',
  async run(ctx, option, signal) {
    await answeredCall(ctx);
    const { controller, dispose } = linkedController(signal);
    const timer = ctx.clock.setTimeout(() => controller.abort(), option.duration ?? DEFAULT_DIGITS_DURATION_MS);
    try {
      const length = option.length === 0 ? undefined : option.length;
      await collectDigits(ctx, length, option.key ?? '', controller.signal);
    } catch (err) {
      // Running out of time is how collection ends without a length or terminator; only a flow abort is passed on.
      if (signal.aborted) throw err;
    } finally {
      ctx.clock.clearTimeout(timer);
      dispose();
    }
    return undefined;
  },
});
