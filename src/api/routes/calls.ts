import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { CALL_STATUSES } from '../../calls/index.ts';
import type { Call } from '../../calls/index.ts';
import { hasCode } from '../../shared/index.ts';
import type { CallListOptions, Scope } from '../../store/index.ts';
import { principalOf, type ApiContext } from '../context.ts';
import { ApiError, notFound } from '../errors.ts';
import { CredentialQuery, PageQuery, pageSizeOf } from '../pagination.ts';
import { CreateCallBody, callFlowFields, emptyBodyAsObject, flowSourceOf } from './call-bodies.ts';
import { CALL_CONTROLS } from './call-controls.ts';
import { IdParams } from './crud.ts';
import type { CallsApiDeps } from './calls-deps.ts';

const ListQuery = Type.Object(
  {
    ...PageQuery.properties,
    status: Type.Optional(Type.Enum(CALL_STATUSES)),
    direction: Type.Optional(Type.Enum(['incoming', 'outgoing'])),
  },
  { additionalProperties: false },
);

const tags = ['calls'];

/** The calls deps, or 503 when this server runs without telephony. */
export function callsOf(ctx: ApiContext): CallsApiDeps {
  if (!ctx.calls) throw new ApiError('CALLS_UNAVAILABLE', 'calls are not available on this server');
  return ctx.calls;
}

/** 503 `OVERLOADED` (or `NODE_DRAINING`, docs/security.md "Overload") with Retry-After while the admission refuses new calls. */
function overloadCheck(ctx: ApiContext): void {
  const refusal = ctx.admission?.refuse();
  if (!refusal) return;
  if (refusal.reason === 'draining') {
    const err = new ApiError('NODE_DRAINING', 'this node is shutting down; try another node');
    throw Object.assign(err, { retryAfterSec: refusal.retryAfterSec });
  }
  const err = new ApiError(
    'OVERLOADED',
    `over capacity for new calls (${refusal.reason}); retry in ${refusal.retryAfterSec} s`,
  );
  throw Object.assign(err, { retryAfterSec: refusal.retryAfterSec });
}

/** The caller's call `{id}`, or 404 `CALL_NOT_FOUND` (also for another customer's call). */
export async function ownedCall(
  ctx: ApiContext,
  req: FastifyRequest,
): Promise<{ calls: CallsApiDeps; call: Call; scope: Scope }> {
  const calls = callsOf(ctx);
  const { id } = req.params as { id: string };
  const scope = { customerId: principalOf(req).customerId };
  const call = await calls.repo.get(id, scope);
  if (!call) throw notFound('call', id);
  return { calls, call, scope };
}

function listOptions(customerId: string, q: Static<typeof ListQuery>): CallListOptions {
  return {
    customerId,
    pageSize: pageSizeOf(q),
    ...(q.page_token ? { pageToken: q.page_token } : {}),
    filter: { ...(q.status ? { status: q.status } : {}), ...(q.direction ? { direction: q.direction } : {}) },
  };
}

/** `/calls` (docs/calls.md): create, list, get, delete, and every live control of `call-controls.ts`. */
export function callRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Refused before validation and the idempotency reservation: no store work (docs/security.md "Overload").
  const preValidation = async (): Promise<void> => overloadCheck(ctx);
  const create = { preValidation, schema: { tags, body: CreateCallBody, querystring: CredentialQuery } };
  app.post('/calls', create, async (req) => {
    const calls = callsOf(ctx);
    const body = callFlowFields(req.body as Static<typeof CreateCallBody>);
    const created = await calls.service.createOutgoing({
      ...body,
      ...flowSourceOf(ctx, body),
      customer_id: principalOf(req).customerId,
    });
    // VoIPBIN answers groupcalls beside calls; callbin dials no groupcalls (docs/calls.md "Creating calls").
    return { calls: created, groupcalls: [] };
  });

  app.get('/calls', { schema: { tags, querystring: ListQuery } }, async (req) => {
    const page = await callsOf(ctx).repo.list(
      listOptions(principalOf(req).customerId, req.query as Static<typeof ListQuery>),
    );
    return { result: page.items, next_page_token: page.nextPageToken };
  });

  app.get(
    '/calls/:id',
    { schema: { tags, params: IdParams, querystring: CredentialQuery } },
    async (req) => (await ownedCall(ctx, req)).call,
  );

  app.delete('/calls/:id', { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) => {
    const { calls, call, scope } = await ownedCall(ctx, req);
    if (call.status !== 'hangup') {
      try {
        await calls.service.hangup(call.id, {}, call.customer_id);
      } catch (err) {
        // The call ended on its own between the read and the hangup: deleting it is what was asked.
        if (!hasCode(err, 'CALL_ALREADY_HANGUP')) throw err;
      }
    }
    const deleted = await calls.repo.delete(call.id, scope);
    if (!deleted) throw notFound('call', call.id);
    return deleted;
  });

  for (const control of CALL_CONTROLS) {
    app.route({
      method: control.method,
      url: `/calls/:id/${control.path}`,
      schema: { tags, params: IdParams, querystring: CredentialQuery, body: control.body },
      preValidation: emptyBodyAsObject,
      handler: async (req) => {
        const { calls, call } = await ownedCall(ctx, req);
        return control.run({ ctx, service: calls.service, call }, req.body);
      },
    });
  }
}
