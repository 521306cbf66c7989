import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { HttpMethod, httpUrl } from './option-fields.ts';

/** `webhook_send`: send a signed HTTP request; with `sync` wait for it (5 s timeout). */
export const webhookSendAction = defineAction({
  type: 'webhook_send',
  schema: Type.Object(
    {
      uri: httpUrl('request target'),
      method: Type.Optional(HttpMethod),
      data_type: Type.Optional(
        Type.String({ pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$', maxLength: 128, description: 'a media type such as application/json' }),
      ),
      data: Type.Optional(Type.String({ maxLength: 65_536, description: 'request body' })),
      sync: Type.Optional(Type.Boolean({ description: 'wait for the response before moving on' })),
    },
    { additionalProperties: false },
  ),
  needs: 'none',
});
