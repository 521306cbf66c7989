import { Type, type TSchema } from 'typebox';
import { ERROR_STATUS } from '../errors.ts';

/*
 * The building blocks of the response schemas (docs/api.md "Response schemas"): what every answer
 * object is made of. Every object is open (`additionalProperties: true`), so a field a schema does
 * not list is still served; the tests validate against strict copies (`testing/strict-schema.ts`),
 * where only the maps marked `x-open` stay open.
 */

/** An answer object: the listed fields, open to more. */
export function obj<P extends Record<string, TSchema>>(properties: P, description?: string) {
  return Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });
}

/** A free key/value object (metadata, variables, an action's options): open in the strict copies too. */
export function openMap(description: string, values?: TSchema) {
  return Type.Object({}, { additionalProperties: values ?? true, 'x-open': true, description });
}

/** A UUID; the nil UUID for an unset reference. */
export const Id = Type.String({ format: 'uuid', description: 'a UUID; the nil UUID when unset' });
/** A list of UUIDs. */
export const Ids = Type.Array(Id);
/** An RFC 3339 timestamp (docs/api.md "JSON conventions"). */
export const Time = Type.String({ format: 'date-time', description: 'RFC 3339 timestamp' });
/** An RFC 3339 timestamp or `""` while unset. */
export const TimeOrEmpty = Type.String({ description: 'RFC 3339 timestamp, or "" while unset' });
/** A timestamp that may be `null`. */
export const TimeOrNull = Type.Union([Time, Type.Null()]);
/** An enumeration of strings. */
export function oneOf(values: readonly string[], description?: string) {
  return Type.Enum([...values], description ? { description } : {});
}
/** An optional field. */
export const opt = Type.Optional;

/** A call party (docs/api.md "Addresses"): every field is a string, `""` when not set. */
export const Address = obj({
  type: Type.String({ description: 'tel, sip, extension, conference, agent or ""' }),
  target: Type.String(),
  target_name: Type.String(),
  name: Type.String(),
  detail: Type.String(),
});

/** The bookkeeping times of a stored resource; `tm_delete` only on a deleted one. */
export const StoredTimes = {
  tm_create: Time,
  tm_update: Time,
  tm_delete: opt(Time),
};

/** A page of a list (docs/api.md "Pagination"): `next_page_token` is `""` on the last page. */
export function listOf(item: TSchema, description: string) {
  return obj({ result: Type.Array(item), next_page_token: Type.String() }, description);
}

/** One field-level problem of a refused request. */
export const FieldIssue = obj({ field: Type.String(), reason: Type.String(), message: Type.String() });

/** The error envelope every 4xx and 5xx answer carries (docs/api.md "Errors"). */
export const ErrorEnvelope = obj(
  {
    error: obj({
      status: oneOf(Object.keys(ERROR_STATUS)),
      reason: Type.String({ description: 'a code of docs/errors.md' }),
      message: Type.String(),
      request_id: Type.String(),
      details: opt(Type.Array(FieldIssue)),
    }),
  },
  'the error envelope',
);

/** Binary content of one or more media types. */
export function binary(description: string, mediaTypes: readonly string[]) {
  const schema = { type: 'string', format: 'binary' };
  return { description, content: Object.fromEntries(mediaTypes.map((t) => [t, { schema }])) };
}
