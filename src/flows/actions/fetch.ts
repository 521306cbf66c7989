import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { HttpMethod, httpUrl } from './option-fields.ts';

/** `fetch`: ask the customer's server for the actions that run next. */
export const fetchAction = defineAction({
  type: 'fetch',
  schema: Type.Object(
    { event_url: httpUrl('server answering a JSON array of actions'), event_method: Type.Optional(HttpMethod) },
    { additionalProperties: false },
  ),
  needs: 'none',
});
