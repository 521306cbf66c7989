import { Type, type Static } from 'typebox';

/** Query parameters of every list endpoint. */
export const PageQuery = Type.Object({
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 100 })),
  page_token: Type.Optional(Type.String({ maxLength: 512 })),
  accesskey: Type.Optional(Type.String()),
  token: Type.Optional(Type.String()),
});

/** Parsed list query. */
export type PageQueryT = Static<typeof PageQuery>;

/** A list query schema with extra string filters (e.g. `status`). */
export function pageQueryWith(filters: string[]) {
  const extra: Record<string, ReturnType<typeof Type.Optional<ReturnType<typeof Type.String>>>> = {};
  for (const f of filters) extra[f] = Type.Optional(Type.String({ maxLength: 100 }));
  return Type.Object({ ...PageQuery.properties, ...extra }, { additionalProperties: false });
}

/** The query-string schema for credentials only (non-list GETs accept `?accesskey=`). */
export const CredentialQuery = Type.Object(
  {
    accesskey: Type.Optional(Type.String()),
    token: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
