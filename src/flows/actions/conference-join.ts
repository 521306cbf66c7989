import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { resourceId } from './option-fields.ts';

/** `conference_join`: join a conference; the flow continues when the call leaves it. */
export const conferenceJoinAction = defineAction({
  type: 'conference_join',
  schema: Type.Object({ conference_id: resourceId('conference to join') }, { additionalProperties: false }),
  needs: 'media',
});
