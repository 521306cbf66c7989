import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  GROUPCALL_ANSWER_METHODS,
  GROUPCALL_RING_METHODS,
  GROUPCALL_STATUSES,
  MAX_GROUPCALL_DESTINATIONS,
} from '../../calls/index.ts';
import type { Groupcall } from '../../calls/index.ts';
import { hasCode } from '../../shared/index.ts';
import { principalOf, type ApiContext } from '../context.ts';
import { ApiError, notFound } from '../errors.ts';
import { CredentialQuery, PageQuery, pageSizeOf } from '../pagination.ts';
import { Address, Id, Ids, Time, listOf, obj, oneOf, opt } from '../responses/common.ts';
import { AddressBody, FlowFields, callFlowFields, emptyBodyAsObject, flowSourceOf } from './call-bodies.ts';
import { IdParams } from './crud.ts';
import type { GroupcallsApiDeps } from './groupcalls-deps.ts';

const tags = ['groupcalls'];

/**
 * `POST /groupcalls` (docs/api.md "Groupcalls"): with both `flow_id` and `actions`, `flow_id` wins,
 * as in `POST /calls`; `ringall` is taken for VoIPBIN's `ring_all`.
 */
const CreateGroupcallBody = Type.Object(
  {
    source: AddressBody,
    destinations: Type.Array(AddressBody, { minItems: 1, maxItems: MAX_GROUPCALL_DESTINATIONS }),
    flow_id: FlowFields.flow_id,
    actions: FlowFields.actions,
    ring_method: Type.Enum(['', 'ringall', ...GROUPCALL_RING_METHODS]),
    answer_method: Type.Enum([...GROUPCALL_ANSWER_METHODS]),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object({ ...PageQuery.properties }, { additionalProperties: false });

/** A groupcall as every answer and event shows it (docs/api.md "Groupcalls"); `tm_delete` only on a deleted one. */
const GroupcallAnswer = obj(
  {
    id: Id,
    customer_id: Id,
    owner_type: Type.String({ description: 'always ""' }),
    owner_id: Id,
    status: oneOf(GROUPCALL_STATUSES),
    flow_id: Id,
    source: Address,
    destinations: Type.Array(Address),
    master_call_id: Id,
    master_groupcall_id: Id,
    ring_method: oneOf(GROUPCALL_RING_METHODS),
    answer_method: oneOf(GROUPCALL_ANSWER_METHODS),
    answer_call_id: Id,
    call_ids: Ids,
    answer_groupcall_id: Id,
    groupcall_ids: Ids,
    call_count: Type.Integer({ description: 'calls of the groupcall not hung up yet' }),
    groupcall_count: Type.Integer({ description: 'always 0' }),
    dial_index: Type.Integer({ description: 'linear: the index of the destination dialled last' }),
    tm_create: Time,
    tm_update: Time,
    tm_delete: opt(Time),
  },
  'a groupcall',
);

const one = { 200: GroupcallAnswer };

/** The groupcall deps, or 503 when this server runs without telephony. */
function groupcallsOf(ctx: ApiContext): GroupcallsApiDeps {
  if (!ctx.groupcalls) throw new ApiError('CALLS_UNAVAILABLE', 'calls are not available on this server');
  return ctx.groupcalls;
}

/** 503 `OVERLOADED` or `NODE_DRAINING` with Retry-After while the admission refuses new calls (docs/security.md "Overload"). */
function overloadCheck(ctx: ApiContext): void {
  const refusal = ctx.admission?.refuse();
  if (!refusal) return;
  const err =
    refusal.reason === 'draining'
      ? new ApiError('NODE_DRAINING', 'this node is shutting down; try another node')
      : new ApiError(
          'OVERLOADED',
          `over capacity for new calls (${refusal.reason}); retry in ${refusal.retryAfterSec} s`,
        );
  throw Object.assign(err, { retryAfterSec: refusal.retryAfterSec });
}

/** The caller's groupcall `{id}`, or 404 `GROUPCALL_NOT_FOUND` (also for another customer's). */
async function ownedGroupcall(
  ctx: ApiContext,
  req: FastifyRequest,
): Promise<{ deps: GroupcallsApiDeps; groupcall: Groupcall; customerId: string }> {
  const deps = groupcallsOf(ctx);
  const { id } = req.params as { id: string };
  const customerId = principalOf(req).customerId;
  const groupcall = await deps.records.get(id, { customerId });
  if (!groupcall) throw notFound('groupcall', id);
  return { deps, groupcall, customerId };
}

/** `/groupcalls` (docs/api.md "Groupcalls"): create, list, get, delete, hangup. */
export function groupcallRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Refused before validation and the idempotency reservation, as `POST /calls` is.
  const preValidation = async (): Promise<void> => overloadCheck(ctx);
  app.post(
    '/groupcalls',
    { preValidation, schema: { tags, body: CreateGroupcallBody, querystring: CredentialQuery, response: one } },
    async (req) => {
      const deps = groupcallsOf(ctx);
      const body = callFlowFields(req.body as Static<typeof CreateGroupcallBody>);
      return deps.service.create({
        ...body,
        ...flowSourceOf(ctx, body),
        customer_id: principalOf(req).customerId,
      });
    },
  );

  app.get(
    '/groupcalls',
    { schema: { tags, querystring: ListQuery, response: { 200: listOf(GroupcallAnswer, 'a page of groupcalls') } } },
    async (req) => {
      const q = req.query as Static<typeof ListQuery>;
      const page = await groupcallsOf(ctx).records.list({
        customerId: principalOf(req).customerId,
        pageSize: pageSizeOf(q),
        ...(q.page_token ? { pageToken: q.page_token } : {}),
      });
      return { result: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.get(
    '/groupcalls/:id',
    { schema: { tags, params: IdParams, querystring: CredentialQuery, response: one } },
    async (req) => (await ownedGroupcall(ctx, req)).groupcall,
  );

  // VoIPBIN hangs a live groupcall up before deleting it; its calls end and it reaches `hangup` hidden.
  app.delete(
    '/groupcalls/:id',
    { schema: { tags, params: IdParams, querystring: CredentialQuery, response: one } },
    async (req) => {
      const { deps, groupcall, customerId } = await ownedGroupcall(ctx, req);
      if (groupcall.status === 'progressing') {
        try {
          await deps.service.hangup(groupcall.id, customerId);
        } catch (err) {
          // It ended on its own meanwhile: deleting it is what was asked.
          if (!hasCode(err, 'GROUPCALL_ALREADY_HANGUP')) throw err;
        }
      }
      const deleted = await deps.records.delete(groupcall.id, { customerId });
      if (!deleted) throw notFound('groupcall', groupcall.id);
      return deleted;
    },
  );

  app.post(
    '/groupcalls/:id/hangup',
    {
      schema: { tags, params: IdParams, querystring: CredentialQuery, response: one },
      preValidation: emptyBodyAsObject,
    },
    async (req) => {
      const { deps, groupcall, customerId } = await ownedGroupcall(ctx, req);
      return deps.service.hangup(groupcall.id, customerId);
    },
  );
}
