import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { durationMs, MAX_DURATION_MS } from './option-fields.ts';

/** `sleep`: wait, then move on. */
export const sleepAction = defineAction({
  type: 'sleep',
  schema: Type.Object({ duration: durationMs(0, MAX_DURATION_MS, 'time to wait') }, { additionalProperties: false }),
  needs: 'none',
});
