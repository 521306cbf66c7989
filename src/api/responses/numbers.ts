import { Type } from 'typebox';
import { Id, StoredTimes, Time, listOf, obj, oneOf } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** VoIPBIN's flags of a customer or a number, every one present. */
export const Metadata = obj({ rtp_debug: Type.Boolean() });

/** A phone number bound to flows. */
export const PhoneNumber = obj(
  {
    id: Id,
    customer_id: Id,
    number: Type.String({ description: 'E.164' }),
    type: oneOf(['normal', 'virtual']),
    call_flow_id: Id,
    message_flow_id: Id,
    name: Type.String(),
    detail: Type.String(),
    status: Type.String({ description: 'active or disabled' }),
    metadata: Metadata,
    t38_enabled: Type.Boolean(),
    emergency_enabled: Type.Boolean(),
    tm_purchase: Time,
    tm_renew: Type.String({ description: 'always "": callbin renews no number' }),
    ...StoredTimes,
  },
  'a number',
);

/** `/numbers`. */
export const numberResponses: ResponseMap = {
  'POST /numbers': PhoneNumber,
  'GET /numbers': listOf(PhoneNumber, 'a page of numbers'),
  'GET /numbers/:id': PhoneNumber,
  'PUT /numbers/:id': PhoneNumber,
  'DELETE /numbers/:id': PhoneNumber,
  'PUT /numbers/:id/flow_ids': PhoneNumber,
  'PUT /numbers/:id/metadata': PhoneNumber,
};
