import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';

/** `beep`: play a short beep, then move on. */
export const beepAction = defineAction({
  type: 'beep',
  schema: Type.Object({}, { additionalProperties: false }),
  needs: 'media',
});
