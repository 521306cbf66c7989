import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { requireCall } from './call-media.ts';

/** `recording_stop`: stop the call's recording, then move on. */
export const recordingStopAction = defineAction({
  type: 'recording_stop',
  schema: Type.Object({}, { additionalProperties: false }),
  needs: 'media',
  async run(ctx) {
    await ctx.calls.recordingStop(requireCall(ctx));
    return undefined;
  },
});
