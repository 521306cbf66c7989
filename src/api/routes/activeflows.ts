import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Activeflow, ApiActiveflowRequest } from '../../flows/index.ts';
import type { ActiveflowListOptions, Scope } from '../../store/index.ts';
import { principalOf } from '../context.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, notFound } from '../errors.ts';
import { CredentialQuery, pageQueryWith } from '../pagination.ts';
import { HttpUrlOrEmpty, Uuid } from '../schemas.ts';
import { IdParams } from './crud.ts';
import type { ActiveflowsApiDeps } from './activeflows-deps.ts';

const ActiveflowBody = Type.Object(
  {
    flow_id: Type.Optional(Uuid),
    actions: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 1000 })),
    variables: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    webhook_uri: Type.Optional(HttpUrlOrEmpty),
  },
  { additionalProperties: false },
);

const FILTERS = ['status', 'reference_id'] as const;
const tags = ['activeflows'];

function depsOf(ctx: ApiContext): ActiveflowsApiDeps {
  if (ctx.activeflows === undefined)
    throw new ApiError('FLOW_ENGINE_UNAVAILABLE', 'activeflows are not available on this server');
  return ctx.activeflows;
}

function idOf(req: FastifyRequest): string {
  return (req as FastifyRequest<{ Params: { id: string } }>).params.id;
}

type ActiveflowBodyT = {
  flow_id?: string;
  actions?: unknown[];
  variables?: Record<string, unknown>;
  webhook_uri?: string;
};

function startRequest(customerId: string, body: ActiveflowBodyT): ApiActiveflowRequest {
  return {
    customer_id: customerId,
    ...(body.flow_id !== undefined ? { flow_id: body.flow_id } : {}),
    ...(body.actions !== undefined ? { actions: body.actions } : {}),
    ...(body.variables !== undefined ? { variables: body.variables } : {}),
    // An empty webhook_uri means none, as on the customer's settings.
    ...(body.webhook_uri ? { webhook_uri: body.webhook_uri } : {}),
  };
}

function listOptions(customerId: string, q: Record<string, string | number | undefined>): ActiveflowListOptions {
  const filter: Record<string, string> = {};
  for (const f of FILTERS) if (typeof q[f] === 'string') filter[f] = q[f] as string;
  return {
    customerId,
    pageSize: (q.page_size as number | undefined) ?? 100,
    ...(typeof q.page_token === 'string' && q.page_token !== '' ? { pageToken: q.page_token } : {}),
    filter,
  };
}

/** The customer's activeflow as it is now; 404 `ACTIVEFLOW_NOT_FOUND` for a missing, deleted or foreign one. */
async function load(deps: ActiveflowsApiDeps, id: string, scope: Scope): Promise<Activeflow> {
  const stored = await deps.records.get(id, scope);
  if (stored === undefined) throw notFound('activeflow', id);
  return (await deps.engine.get(id)) ?? stored;
}

/** `POST/GET /activeflows`, `GET/DELETE /activeflows/{id}` and `POST /activeflows/{id}/stop`, scoped to the caller's customer. */
export function activeflowRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/activeflows', { schema: { tags, body: ActiveflowBody, querystring: CredentialQuery } }, async (req) => {
    return depsOf(ctx).engine.startForApi(startRequest(principalOf(req).customerId, req.body as ActiveflowBodyT));
  });

  app.get('/activeflows', { schema: { tags, querystring: pageQueryWith([...FILTERS]) } }, async (req) => {
    const page = await depsOf(ctx).records.list(
      listOptions(principalOf(req).customerId, req.query as Record<string, string | number | undefined>),
    );
    return { result: page.items, next_page_token: page.nextPageToken };
  });

  app.get('/activeflows/:id', { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) => {
    return load(depsOf(ctx), idOf(req), { customerId: principalOf(req).customerId });
  });

  app.post(
    '/activeflows/:id/stop',
    { schema: { tags, params: IdParams, querystring: CredentialQuery } },
    async (req) => {
      const deps = depsOf(ctx);
      const scope = { customerId: principalOf(req).customerId };
      const id = idOf(req);
      await load(deps, id, scope);
      // As when the flow ends by itself: a call's activeflow stopped over the API hangs its call up.
      await deps.engine.stop(id, { hangupCall: true }, scope.customerId);
      return load(deps, id, scope);
    },
  );

  app.delete('/activeflows/:id', { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) => {
    const deps = depsOf(ctx);
    const scope = { customerId: principalOf(req).customerId };
    const id = idOf(req);
    const current = await load(deps, id, scope);
    if (current.status === 'running') await deps.engine.stop(id, { hangupCall: true }, scope.customerId);
    const deleted = await deps.records.delete(id, scope);
    if (deleted === undefined) throw notFound('activeflow', id);
    return deleted;
  });
}
