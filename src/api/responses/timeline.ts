import { Type } from 'typebox';
import { TIMELINE_KINDS } from '../../timeline/index.ts';
import { Id, Time, listOf, obj, oneOf, openMap } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** One timeline entry (docs/timeline.md "Entries"). */
export const TimelineEntry = obj(
  {
    id: Id,
    customer_id: Id,
    call_id: Id,
    activeflow_id: Id,
    conference_id: Id,
    tm: Time,
    seq: Type.Integer({ description: 'order among the entries one process recorded' }),
    kind: oneOf(TIMELINE_KINDS),
    summary: Type.String({ description: 'one line for people' }),
    data: openMap("the kind's fields (docs/timeline.md)"),
  },
  'a timeline entry',
);

const page = listOf(TimelineEntry, 'a page of timeline entries, oldest first');

/** `/calls/{id}/timeline`, `/activeflows/{id}/timeline`, `/conferences/{id}/timeline`. */
export const timelineResponses: ResponseMap = {
  'GET /calls/:id/timeline': page,
  'GET /activeflows/:id/timeline': page,
  'GET /conferences/:id/timeline': page,
};
