import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { DTMF_DIGITS_PATTERN, durationMs } from './option-fields.ts';
import { answeredCall } from './call-media.ts';

/** Tone length and gap when the option is not given (ms). */
const DEFAULT_TONE_MS = 100;

/** `digits_send`: send RFC 4733 DTMF events, then move on. */
export const digitsSendAction = defineAction({
  type: 'digits_send',
  schema: Type.Object(
    {
      digits: Type.String({ pattern: DTMF_DIGITS_PATTERN, maxLength: 100, description: 'DTMF symbols 0-9 * # A-D' }),
      duration: Type.Optional(durationMs(100, 1000, 'length of each tone')),
      interval: Type.Optional(durationMs(0, 5000, 'pause between tones')),
    },
    { additionalProperties: false },
  ),
  needs: 'media',
  async run(ctx, option, signal) {
    const callId = await answeredCall(ctx);
    await ctx.calls.sendDigits(
      callId,
      {
        digits: option.digits,
        durationMs: option.duration ?? DEFAULT_TONE_MS,
        intervalMs: option.interval ?? DEFAULT_TONE_MS,
      },
      signal,
    );
    return undefined;
  },
});
