import { Type } from 'typebox';
import { MUTE_REQUEST_DIRECTIONS } from '../../calls/index.ts';
import { defineAction } from './action-definition.ts';
import { answeredCall } from './call-media.ts';

/**
 * `mute`: mutes the call (answering it first when needed), like `POST /calls/{id}/mute`; VoIPBIN's
 * action has no option, callbin adds `direction` [`both`] (docs/flows.md "Action options"). Next at once.
 */
export const muteAction = defineAction({
  type: 'mute',
  schema: Type.Object(
    {
      direction: Type.Optional(
        Type.Enum([...MUTE_REQUEST_DIRECTIONS], { description: 'which audio is muted (in, out, both), default both' }),
      ),
    },
    { additionalProperties: false },
  ),
  needs: 'media',
  async run(ctx, option) {
    const callId = await answeredCall(ctx);
    await ctx.calls.setMute(callId, option.direction ?? 'both', true);
    return undefined;
  },
});
