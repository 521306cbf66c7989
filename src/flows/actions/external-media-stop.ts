import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { requireCall } from './call-media.ts';

/** `external_media_stop`: stop the call's media streams (docs/media-streams.md), then move on; none is fine. */
export const externalMediaStopAction = defineAction({
  type: 'external_media_stop',
  schema: Type.Object({}, { additionalProperties: false }),
  needs: 'media',
  async run(ctx) {
    await ctx.calls.mediaStreamStop(requireCall(ctx));
    return undefined;
  },
});
