import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { NIL_UUID } from '../../shared/index.ts';
import type { NewRow, Repo, Scope } from '../../store/index.ts';
import { requireAdmin, type Principal } from '../auth.ts';
import { principalOf, type ApiContext } from '../context.ts';
import { notFound, type NotFoundResource } from '../errors.ts';
import { CredentialQuery, pageQueryWith, pageSizeOf } from '../pagination.ts';

/** The path parameter `{id}`: any string; an id that is not a UUID is simply not found. */
export const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

/** How one resource is exposed as CRUD endpoints. */
export interface CrudSpec<T extends { id: string; tm_delete?: string }> {
  path: string;
  /** Singular resource name used in error reasons (`flow` → `FLOW_NOT_FOUND`, a catalogue code). */
  name: NotFoundResource;
  tag: string;
  repo: Repo<T>;
  /** Project-admin-only resource (customers, providers, routes): no customer scoping. */
  adminOnly?: boolean;
  createBody: TSchema;
  updateBody: TSchema;
  listFilters?: string[];
  toPublic(row: T, principal: Principal): unknown;
  /** Validate a create body and build the row (throws ValidationError/ApiError). */
  create(body: Record<string, unknown>, principal: Principal): Promise<NewRow<T>>;
  /** Validate an update body against the current row and build the patch. */
  update(body: Record<string, unknown>, current: T, principal: Principal): Promise<Partial<T>>;
  afterDelete?(row: T): Promise<void> | void;
  /** After any successful create, update or delete. */
  afterWrite?(row: T): void;
  /** Extra fields for one resource's GET (e.g. registered contacts). */
  detail?(row: T): Promise<Record<string, unknown>>;
}

/**
 * VoIPBIN's customer id of the rows that serve every customer (its platform-wide routes); callbin
 * names the platform with the nil UUID (docs/voipbin-compatibility.md "Routes").
 */
export const VOIPBIN_ALL_CUSTOMERS_ID = '00000000-0000-0000-0000-000000000001';

/** `customer_id` of an admin-only body or filter with VoIPBIN's all-customers id read as the platform's. */
function platformIdsOf<T extends Record<string, unknown>>(spec: { adminOnly?: boolean }, fields: T): T {
  if (!spec.adminOnly || fields.customer_id !== VOIPBIN_ALL_CUSTOMERS_ID) return fields;
  return { ...fields, customer_id: NIL_UUID };
}

/** The scope of a principal for a spec: admins see all of an admin-only resource. */
export function scopeFor(spec: { adminOnly?: boolean }, p: Principal): Scope {
  if (spec.adminOnly) {
    requireAdmin(p);
    return {};
  }
  return { customerId: p.customerId };
}

/** Register POST/GET list and GET/PUT/DELETE one for a resource. */
export function registerCrud<T extends { id: string; tm_delete?: string }>(
  app: FastifyInstance,
  _ctx: ApiContext,
  spec: CrudSpec<T>,
): void {
  const tags = [spec.tag];
  const load = (req: FastifyRequest) => loadOne(spec, req);
  const present = (row: T, p: Principal, withDetail: boolean) => presentOne(spec, row, p, withDetail);

  app.post(spec.path, { schema: { tags, body: spec.createBody, querystring: CredentialQuery } }, async (req, reply) => {
    const p = principalOf(req);
    scopeFor(spec, p);
    const body = platformIdsOf(spec, req.body as Record<string, unknown>);
    const row = await spec.repo.create(await spec.create(body, p));
    spec.afterWrite?.(row);
    return reply.code(200).send(await present(row, p, true));
  });

  app.get(spec.path, { schema: { tags, querystring: pageQueryWith(spec.listFilters ?? []) } }, async (req) => {
    const p = principalOf(req);
    const q = req.query as Record<string, string | number | undefined>;
    const filter: Record<string, string> = {};
    for (const f of spec.listFilters ?? []) if (typeof q[f] === 'string') filter[f] = q[f] as string;
    const page = await spec.repo.list({
      ...scopeFor(spec, p),
      pageSize: pageSizeOf(q),
      ...(typeof q.page_token === 'string' && q.page_token !== '' ? { pageToken: q.page_token } : {}),
      filter: platformIdsOf(spec, filter),
    });
    return { result: page.items.map((r) => spec.toPublic(r, p)), next_page_token: page.nextPageToken };
  });

  app.get(`${spec.path}/:id`, { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) => {
    const { p, row } = await load(req);
    return present(row, p, true);
  });

  app.put(
    `${spec.path}/:id`,
    { schema: { tags, params: IdParams, body: spec.updateBody, querystring: CredentialQuery } },
    async (req) => updateOne(spec, req, spec.update),
  );

  app.delete(`${spec.path}/:id`, { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) => {
    const { p, row } = await load(req);
    const deleted = await spec.repo.delete(row.id, scopeFor(spec, p));
    if (!deleted) throw notFound(spec.name, row.id);
    await spec.afterDelete?.(deleted);
    spec.afterWrite?.(deleted);
    return present(deleted, p, false);
  });
}

type CrudRow = { id: string; tm_delete?: string };

/** The row `{id}` of a request within the caller's scope, or 404. */
async function loadOne<T extends CrudRow>(spec: CrudSpec<T>, req: FastifyRequest): Promise<{ p: Principal; row: T }> {
  const p = principalOf(req);
  const { id } = req.params as { id: string };
  const row = await spec.repo.get(id, scopeFor(spec, p));
  if (!row) throw notFound(spec.name, id);
  return { p, row };
}

/** A row as the API shows it; `withDetail` adds the spec's extra fields of a single GET. */
async function presentOne<T extends CrudRow>(
  spec: CrudSpec<T>,
  row: T,
  p: Principal,
  withDetail: boolean,
): Promise<Record<string, unknown>> {
  const out = spec.toPublic(row, p) as Record<string, unknown>;
  return withDetail && spec.detail ? { ...out, ...(await spec.detail(row)) } : out;
}

/** Loads the row, builds the patch from the body, stores it and answers the updated row. */
async function updateOne<T extends CrudRow>(
  spec: CrudSpec<T>,
  req: FastifyRequest,
  build: CrudSpec<T>['update'],
): Promise<Record<string, unknown>> {
  const { p, row } = await loadOne(spec, req);
  const patch = await build(platformIdsOf(spec, req.body as Record<string, unknown>), row, p);
  const updated = await spec.repo.update(row.id, patch, scopeFor(spec, p));
  if (!updated) throw notFound(spec.name, row.id);
  spec.afterWrite?.(updated);
  return presentOne(spec, updated, p, true);
}

/**
 * `PUT {path}/{id}/{suffix}`: one more way to change a resource of `registerCrud`, with a body of
 * its own (VoIPBIN's `PUT /numbers/{id}/flow_ids`), answered as `PUT {path}/{id}` is.
 */
export function registerCrudUpdate<T extends CrudRow>(
  app: FastifyInstance,
  spec: CrudSpec<T>,
  suffix: string,
  body: TSchema,
  build: CrudSpec<T>['update'],
): void {
  app.put(
    `${spec.path}/:id/${suffix}`,
    { schema: { tags: [spec.tag], params: IdParams, body, querystring: CredentialQuery } },
    async (req) => updateOne(spec, req, build),
  );
}

/** Copy the keys of `body` that are present into a patch (PUT semantics: absent = unchanged). */
export function pickDefined<K extends string>(
  body: Record<string, unknown>,
  keys: readonly K[],
): Partial<Record<K, unknown>> {
  const out: Partial<Record<K, unknown>> = {};
  for (const k of keys) if (body[k] !== undefined) out[k] = body[k];
  return out;
}
