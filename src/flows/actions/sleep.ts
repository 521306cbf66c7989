import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { durationMs, MAX_DURATION_MS } from './option-fields.ts';
import { sleep } from '../wait.ts';

/** `sleep`: wait, then move on. */
export const sleepAction = defineAction({
  type: 'sleep',
  schema: Type.Object({ duration: durationMs(0, MAX_DURATION_MS, 'time to wait') }, { additionalProperties: false }),
  needs: 'none',
  async run(ctx, option, signal) {
    await sleep(ctx.clock, option.duration, signal);
    return undefined;
  },
});
