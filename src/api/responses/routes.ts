import { Type } from 'typebox';
import { Id, StoredTimes, listOf, obj } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** Which provider carries calls to a target for a customer (the nil UUID: every customer). */
export const Route = obj(
  {
    id: Id,
    customer_id: Id,
    provider_id: Id,
    priority: Type.Integer(),
    target: Type.String({ description: 'all, or + and a country code' }),
    name: Type.String(),
    detail: Type.String(),
    ...StoredTimes,
  },
  'a route',
);

/** `/routes` (project admin). */
export const routeResponses: ResponseMap = {
  'POST /routes': Route,
  'GET /routes': listOf(Route, 'a page of routes'),
  'GET /routes/:id': Route,
  'PUT /routes/:id': Route,
  'DELETE /routes/:id': Route,
};
