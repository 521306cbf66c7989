import { Type } from 'typebox';
import { Id, Time, listOf, obj, oneOf, opt } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** One call's membership in a conference. */
export const Conferencecall = obj(
  {
    id: Id,
    customer_id: Id,
    conference_id: Id,
    activeflow_id: opt(Id),
    reference_type: Type.Literal('call'),
    reference_id: Id,
    status: oneOf(['joining', 'joined', 'leaving', 'leaved']),
    muted: Type.Boolean(),
    tm_create: Time,
    tm_update: Time,
    tm_delete: opt(Time),
  },
  'a conferencecall',
);

/** `/conferencecalls`. */
export const conferencecallResponses: ResponseMap = {
  'GET /conferencecalls': listOf(Conferencecall, 'a page of conferencecalls'),
  'GET /conferencecalls/:id': Conferencecall,
  'DELETE /conferencecalls/:id': Conferencecall,
  'POST /conferencecalls/:id/mute': Conferencecall,
  'DELETE /conferencecalls/:id/mute': Conferencecall,
};
