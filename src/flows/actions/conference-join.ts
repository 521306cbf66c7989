import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { resourceId } from './option-fields.ts';
import { answeredCall } from './call-media.ts';

/** `conference_join`: join a conference; the flow continues when the call leaves it. */
export const conferenceJoinAction = defineAction({
  type: 'conference_join',
  schema: Type.Object({ conference_id: resourceId('conference to join') }, { additionalProperties: false }),
  needs: 'media',
  async run(ctx, option, signal) {
    await ctx.conferences.join(await answeredCall(ctx), option.conference_id, signal);
    return undefined;
  },
});
