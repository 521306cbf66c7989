import { Type, type Static } from 'typebox';

/** The most items one page of a list holds; a larger `page_size` is clamped to it (docs/api.md "Pagination"). */
export const MAX_PAGE_SIZE = 100;

/**
 * The largest `page_size` a request may send before it is clamped: a bound on the number the
 * query parser reads, far above any page, so that VoIPBIN clients asking for more than
 * {@link MAX_PAGE_SIZE} get a full page instead of a 400.
 */
const PAGE_SIZE_CEILING = 1_000_000;

/** Query parameters of every list endpoint. */
export const PageQuery = Type.Object({
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_SIZE_CEILING, default: MAX_PAGE_SIZE })),
  page_token: Type.Optional(Type.String({ maxLength: 512 })),
  accesskey: Type.Optional(Type.String()),
  token: Type.Optional(Type.String()),
});

/** Parsed list query. */
export type PageQueryT = Static<typeof PageQuery>;

/** The page size of a list query: {@link MAX_PAGE_SIZE} when absent, clamped to it when larger. */
export function pageSizeOf(q: { page_size?: unknown }): number {
  const size = q.page_size;
  return typeof size === 'number' && Number.isInteger(size) && size >= 1
    ? Math.min(size, MAX_PAGE_SIZE)
    : MAX_PAGE_SIZE;
}

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
