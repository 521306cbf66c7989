import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { durationMs, MAX_DURATION_MS } from './option-fields.ts';

/** `digits_receive`: collect DTMF into `voipbin.call.digits` until a length, a terminator or a timeout. */
export const digitsReceiveAction = defineAction({
  type: 'digits_receive',
  schema: Type.Object(
    {
      duration: Type.Optional(durationMs(1, MAX_DURATION_MS, 'time allowed to finish the input')),
      length: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'digits to collect' })),
      key: Type.Optional(Type.String({ pattern: '^[0-9*#A-D]*$', maxLength: 16, description: 'terminator DTMF symbols (0-9 * # A-D)' })),
    },
    { additionalProperties: false },
  ),
  needs: 'media',
});
