import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Activeflow, ApiActiveflowRequest } from '../../flows/index.ts';
import { ConflictError, NIL_UUID } from '../../shared/index.ts';
import type { ActiveflowListOptions, Scope } from '../../store/index.ts';
import { principalOf } from '../context.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, notFound } from '../errors.ts';
import { CredentialQuery, pageQueryWith, pageSizeOf } from '../pagination.ts';
import { HttpUrlOrEmpty, Uuid, UuidOrEmpty, WebhookMethod } from '../schemas.ts';
import { IdParams } from './crud.ts';
import type { ActiveflowsApiDeps, VoipbinActiveflowFields } from './activeflows-deps.ts';

const ActiveflowBody = Type.Object(
  {
    // VoIPBIN's client-chosen id: taken when no activeflow has it; '' or the nil UUID is none
    // (docs/voipbin-compatibility.md "Activeflows").
    id: Type.Optional(UuidOrEmpty),
    flow_id: Type.Optional(Uuid),
    actions: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 1000 })),
    variables: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    webhook_uri: Type.Optional(HttpUrlOrEmpty),
    webhook_method: Type.Optional(WebhookMethod),
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
  id?: string;
  flow_id?: string;
  actions?: unknown[];
  variables?: Record<string, unknown>;
  webhook_uri?: string;
  webhook_method?: string;
};

/** The client's id of a new activeflow, lower case as callbin makes ids; undefined for none. */
function chosenId(body: ActiveflowBodyT): string | undefined {
  const id = body.id?.toLowerCase();
  return id === undefined || id === '' || id === NIL_UUID ? undefined : id;
}

function startRequest(customerId: string, body: ActiveflowBodyT): ApiActiveflowRequest & VoipbinActiveflowFields {
  const id = chosenId(body);
  return {
    customer_id: customerId,
    ...(id !== undefined ? { id } : {}),
    ...(body.flow_id !== undefined ? { flow_id: body.flow_id } : {}),
    ...(body.actions !== undefined ? { actions: body.actions } : {}),
    ...(body.variables !== undefined ? { variables: body.variables } : {}),
    // An empty webhook_uri means none, as on the customer's settings; its method goes with it.
    ...(body.webhook_uri ? { webhook_uri: body.webhook_uri } : {}),
    ...(body.webhook_uri && body.webhook_method ? { webhook_method: body.webhook_method } : {}),
  };
}

/**
 * An activeflow with VoIPBIN's fields always present: callbin has no activeflow started by another
 * one's completion and no forward jump pending, so those ids are nil (docs/voipbin-compatibility.md).
 */
export function publicActiveflow<T extends Activeflow>(af: T) {
  return {
    ...af,
    // When the current action started (docs/flows.md "Activeflow"); null on rows stored before it was kept.
    current_action: { ...af.current_action, tm_execute: af.current_action.tm_execute ?? null },
    reference_activeflow_id: NIL_UUID,
    on_complete_flow_id: NIL_UUID,
    forward_action_id: NIL_UUID,
    webhook_uri: af.webhook_uri ?? '',
    webhook_method: af.webhook_uri ? (af.webhook_method ?? 'POST') : '',
  };
}

/** 409 `ALREADY_EXISTS` on `id` when an activeflow (of any customer, deleted or not) has it. */
async function checkFreeId(ctx: ApiContext, id: string | undefined): Promise<void> {
  if (id === undefined || (await ctx.store.activeflows.ownerOf(id)) === undefined) return;
  throw new ConflictError('ALREADY_EXISTS', `an activeflow with id ${id} exists`, {
    details: [{ field: 'id', reason: 'ALREADY_EXISTS', message: `an activeflow with id ${id} exists` }],
  });
}

function listOptions(customerId: string, q: Record<string, string | number | undefined>): ActiveflowListOptions {
  const filter: Record<string, string> = {};
  for (const f of FILTERS) if (typeof q[f] === 'string') filter[f] = q[f] as string;
  return {
    customerId,
    pageSize: pageSizeOf(q),
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
    const deps = depsOf(ctx);
    const body = req.body as ActiveflowBodyT;
    await checkFreeId(ctx, chosenId(body));
    return publicActiveflow(await deps.engine.startForApi(startRequest(principalOf(req).customerId, body)));
  });

  app.get('/activeflows', { schema: { tags, querystring: pageQueryWith([...FILTERS]) } }, async (req) => {
    const page = await depsOf(ctx).records.list(
      listOptions(principalOf(req).customerId, req.query as Record<string, string | number | undefined>),
    );
    return { result: page.items.map(publicActiveflow), next_page_token: page.nextPageToken };
  });

  app.get('/activeflows/:id', { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) => {
    return publicActiveflow(await load(depsOf(ctx), idOf(req), { customerId: principalOf(req).customerId }));
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
      return publicActiveflow(await load(deps, id, scope));
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
    return publicActiveflow(deleted);
  });
}
