import { Type } from 'typebox';
import { Id, StoredTimes, listOf, obj, openMap } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** A SIP trunk; the auth password is write-only. */
export const Provider = obj(
  {
    id: Id,
    customer_id: Id,
    type: Type.String({ description: 'sip' }),
    hostname: Type.String(),
    port: Type.Integer(),
    transport: Type.String({ description: 'udp, tcp or tls' }),
    tech_prefix: Type.String(),
    tech_postfix: Type.String(),
    tech_headers: openMap('SIP headers added to each INVITE', Type.String()),
    auth_username: Type.String(),
    name: Type.String(),
    detail: Type.String(),
    codecs: Type.Array(Type.String()),
    health_status: Type.String({ description: 'always unknown (docs/voipbin-compatibility.md)' }),
    health_checked_at: Type.String(),
    metadata: openMap('VoIPBIN provider metadata: always {}'),
    ...StoredTimes,
  },
  'a provider',
);

/** `/providers` (project admin). */
export const providerResponses: ResponseMap = {
  'POST /providers': Provider,
  'GET /providers': listOf(Provider, 'a page of providers'),
  'GET /providers/:id': Provider,
  'PUT /providers/:id': Provider,
  'DELETE /providers/:id': Provider,
};
