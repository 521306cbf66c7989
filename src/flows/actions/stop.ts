import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';

/** `stop`: end the activeflow (a call then hangs up). */
export const stopAction = defineAction({
  type: 'stop',
  schema: Type.Object({}, { additionalProperties: false }),
  needs: 'none',
  async run() {
    return { end: true } as const;
  },
});
