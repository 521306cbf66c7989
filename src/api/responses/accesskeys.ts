import { Type } from 'typebox';
import { Id, StoredTimes, Time, listOf, obj, oneOf, opt } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** An access key; the token itself only in the answer to the POST that created it. */
export const Accesskey = obj(
  {
    id: Id,
    customer_id: Id,
    name: Type.String(),
    detail: Type.String(),
    role: oneOf(['admin', 'customer']),
    token_prefix: Type.String({ description: 'the first characters of the token' }),
    token: opt(Type.String({ description: 'the token, once: in the answer to its creation' })),
    token_redacted: opt(Type.Boolean({ description: 'true in an idempotent replay of the creation' })),
    tm_expire: opt(Time),
    ...StoredTimes,
  },
  'an access key',
);

/** `/accesskeys`. */
export const accesskeyResponses: ResponseMap = {
  'POST /accesskeys': Accesskey,
  'GET /accesskeys': listOf(Accesskey, 'a page of access keys'),
  'GET /accesskeys/:id': Accesskey,
  'PUT /accesskeys/:id': Accesskey,
  'DELETE /accesskeys/:id': Accesskey,
};
