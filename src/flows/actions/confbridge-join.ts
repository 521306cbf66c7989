import { Type } from 'typebox';
import { NotFoundError } from '../../shared/index.ts';
import { defineAction } from './action-definition.ts';
import { answeredCall } from './call-media.ts';
import { resourceId } from './option-fields.ts';

/**
 * `confbridge_join` (docs/flows.md "Action options"): VoIPBIN's join of the bridge under a
 * conference. callbin's conference is its own bridge, so `confbridge_id` names a progressing
 * conference of the customer and the call joins it as `conference_join` does, but without the
 * conference's `pre_flow_id` and `post_flow_id`, which belong to the conference above the bridge;
 * the flow continues when the call leaves. Another id is an action error and the flow moves on.
 */
export const confbridgeJoinAction = defineAction({
  type: 'confbridge_join',
  schema: Type.Object(
    { confbridge_id: resourceId('conference to join: callbin conferences are their own bridges') },
    { additionalProperties: false },
  ),
  needs: 'media',
  async run(ctx, option, signal) {
    // Checked before answering: a call is not answered for a bridge it cannot join.
    if ((await ctx.conferences.flowsOf(ctx.customerId, option.confbridge_id)) === undefined) {
      throw new NotFoundError(
        'CONFERENCE_NOT_FOUND',
        `confbridge_id ${option.confbridge_id} is not a progressing conference of the customer`,
      );
    }
    await ctx.conferences.join(await answeredCall(ctx), option.confbridge_id, signal, {
      activeflowId: ctx.activeflowId,
    });
    return undefined;
  },
});
