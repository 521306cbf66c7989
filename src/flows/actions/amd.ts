import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';

/** `amd`: answering-machine detection; sets `voipbin.amd.result`. */
export const amdAction = defineAction({
  type: 'amd',
  schema: Type.Object(
    {
      machine_handle: Type.Optional(Type.Enum(['hangup', 'continue'], { description: 'what to do when a machine answers' })),
      async: Type.Optional(Type.Boolean({ description: 'move on at once and detect in the background' })),
    },
    { additionalProperties: false },
  ),
  needs: 'media',
});
