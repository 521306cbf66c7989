import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { answeredCall } from './call-media.ts';

/** `beep`: play a short beep, then move on. */
export const beepAction = defineAction({
  type: 'beep',
  schema: Type.Object({}, { additionalProperties: false }),
  needs: 'media',
  async run(ctx, _option, signal) {
    await ctx.calls.beep(await answeredCall(ctx), signal);
    return undefined;
  },
});
