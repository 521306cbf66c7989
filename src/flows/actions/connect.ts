import { Type } from 'typebox';
import { AddressSchema } from '../address.ts';
import { defineAction } from './action-definition.ts';
import { durationSec } from './option-fields.ts';

/** `connect`: dial destinations chained to this call and bridge them; the flow waits while bridged. */
export const connectAction = defineAction({
  type: 'connect',
  schema: Type.Object(
    {
      source: Type.Optional(AddressSchema),
      destinations: Type.Array(AddressSchema, { minItems: 1, maxItems: 100 }),
      ring_method: Type.Optional(Type.Enum(['ring_all', 'join_all'], { description: 'first answer wins, or everyone joins' })),
      early_media: Type.Optional(Type.Boolean({ description: "pass the callee's early audio before answer" })),
      relay_reason: Type.Optional(Type.Boolean({ description: "end this call with a callee's busy/noanswer reason" })),
      ring_timeout: Type.Optional(durationSec(1, 600, 'how long the destinations ring')),
    },
    { additionalProperties: false },
  ),
  needs: 'media',
});
