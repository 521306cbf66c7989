import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { durationMs, MAX_DURATION_MS } from './option-fields.ts';

/** `echo`: send back what the caller says (and DTMF) for a while. */
export const echoAction = defineAction({
  type: 'echo',
  schema: Type.Object(
    { duration: Type.Optional(durationMs(1, MAX_DURATION_MS, 'how long to echo, default 180000')) },
    { additionalProperties: false },
  ),
  needs: 'media',
});
