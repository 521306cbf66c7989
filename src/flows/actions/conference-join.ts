import { Type } from 'typebox';
import { NIL_UUID } from '../../shared/index.ts';
import { defineAction } from './action-definition.ts';
import { resourceId } from './option-fields.ts';
import { answeredCall } from './call-media.ts';

/** A flow id that names a flow (neither `""` nor the nil UUID). */
function isFlow(id: string | undefined): id is string {
  return id !== undefined && id !== '' && id !== NIL_UUID;
}

/**
 * `conference_join`: join a conference; the flow continues when the call leaves it. The
 * conference's `pre_flow_id` runs before the call joins and its `post_flow_id` after it leaves
 * (both through `fetch_flow`, so a missing flow is an action error and the flow moves on).
 */
export const conferenceJoinAction = defineAction({
  type: 'conference_join',
  schema: Type.Object(
    {
      conference_id: resourceId('conference to join'),
      pre_flow_done: Type.Optional(
        Type.Boolean({ description: 'internal, set by the engine: the conference pre flow has run already' }),
      ),
    },
    { additionalProperties: false },
  ),
  needs: 'media',
  async run(ctx, option, signal) {
    const before = await ctx.conferences.flowsOf(ctx.customerId, option.conference_id);
    if (option.pre_flow_done !== true && isFlow(before?.pre_flow_id)) {
      return {
        push: ctx.parseActions(
          [
            { type: 'fetch_flow', option: { flow_id: before.pre_flow_id } },
            { type: 'conference_join', option: { conference_id: option.conference_id, pre_flow_done: true } },
          ],
          'conference_join',
        ),
      };
    }
    await ctx.conferences.join(await answeredCall(ctx), option.conference_id, signal, {
      activeflowId: ctx.activeflowId,
    });
    // The post flow as it was when the call joined: a conference that ended meanwhile still runs it.
    if (isFlow(before?.post_flow_id)) {
      return {
        push: ctx.parseActions([{ type: 'fetch_flow', option: { flow_id: before.post_flow_id } }], 'conference_join'),
      };
    }
    return undefined;
  },
});
