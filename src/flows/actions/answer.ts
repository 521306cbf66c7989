import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { answeredCall } from './call-media.ts';

/** `answer`: send 200 OK to an incoming call, then move on. */
export const answerAction = defineAction({
  type: 'answer',
  schema: Type.Object({}, { additionalProperties: false }),
  needs: 'media',
  async run(ctx) {
    await answeredCall(ctx);
    return undefined;
  },
});
