import { Type } from 'typebox';
import { Id, StoredTimes, Time, listOf, obj, opt } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** A registered contact of an extension (single GET only). */
const Registered = obj({
  contact: Type.String(),
  transport: Type.String(),
  source: Type.String(),
  user_agent: Type.String(),
  tm_expire: Time,
});

/** A SIP extension; the password is write-only. */
export const Extension = obj(
  {
    id: Id,
    customer_id: Id,
    extension: Type.String(),
    username: Type.String({ description: 'the platform-unique digest username' }),
    domain_name: Type.String(),
    name: Type.String(),
    detail: Type.String(),
    direct_hash: Type.String({ description: 'the address of the extension without a customer domain; "" when none' }),
    registered: opt(Type.Array(Registered, { description: 'the registered contacts (not in lists)' })),
    ...StoredTimes,
  },
  'an extension',
);

/** `/extensions`. */
export const extensionResponses: ResponseMap = {
  'POST /extensions': Extension,
  'GET /extensions': listOf(Extension, 'a page of extensions'),
  'GET /extensions/:id': Extension,
  'PUT /extensions/:id': Extension,
  'DELETE /extensions/:id': Extension,
  'POST /extensions/:id/direct-hash-regenerate': Extension,
};
