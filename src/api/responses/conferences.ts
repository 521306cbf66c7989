import { Type } from 'typebox';
import { Id, Ids, Time, listOf, obj, oneOf, openMap, opt } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** A conference (docs/media.md "Conferences"). */
export const Conference = obj(
  {
    id: Id,
    customer_id: Id,
    type: oneOf(['conference', 'connect']),
    status: oneOf(['progressing', 'terminating', 'terminated']),
    name: Type.String(),
    detail: Type.String(),
    data: openMap("the client's data, echoed"),
    timeout: Type.Integer({ description: 'seconds after creation at which it ends; 0 = never' }),
    pre_flow_id: Id,
    post_flow_id: Id,
    conferencecall_ids: Ids,
    recording_id: Id,
    recording_ids: Ids,
    direct_hash: Type.String({ description: 'the address of the conference without a customer domain; "" when none' }),
    tm_create: Time,
    tm_update: Time,
    tm_end: opt(Time),
    tm_delete: opt(Time),
  },
  'a conference',
);

/** `/conferences`. */
export const conferenceResponses: ResponseMap = {
  'POST /conferences': Conference,
  'GET /conferences': listOf(Conference, 'a page of conferences'),
  'GET /conferences/:id': Conference,
  'PUT /conferences/:id': Conference,
  'DELETE /conferences/:id': Conference,
  'POST /conferences/:id/recording_start': Conference,
  'POST /conferences/:id/recording_stop': Conference,
  'POST /conferences/:id/direct-hash-regenerate': Conference,
};
