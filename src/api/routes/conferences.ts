import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { CONFERENCE_TYPES } from '../../conferences/index.ts';
import type { Conference, ConferencePatch } from '../../conferences/index.ts';
import { NIL_UUID, ValidationError } from '../../shared/index.ts';
import type { ConferenceListOptions } from '../../store/index.ts';
import { principalOf, type ApiContext } from '../context.ts';
import { ApiError, notFound, type ErrorEnvelope } from '../errors.ts';
import { CredentialQuery, PageQuery, pageSizeOf } from '../pagination.ts';
import { Detail, FREE_DATA_MAX_BYTES, FreeData, Name, Uuid, freeDataTooLarge } from '../schemas.ts';
import { IdParams } from './crud.ts';
import type { ConferencesApiDeps } from './conferences-deps.ts';
import { conferenceDirectHash, conferenceDirectHashes, regenerateConferenceHash } from './direct-hash-store.ts';

const FlowId = Type.Union([Uuid, Type.Literal('')]);
const Timeout = Type.Integer({
  minimum: 0,
  maximum: 7 * 24 * 3600,
  description: 'seconds after creation at which the conference ends; 0 = never',
});

const CreateBody = Type.Object(
  {
    type: Type.Optional(Type.Enum([...CONFERENCE_TYPES])),
    name: Type.Optional(Name),
    detail: Type.Optional(Detail),
    // The client's own data, stored and echoed (docs/voipbin-compatibility.md "Conferences").
    data: Type.Optional(FreeData),
    timeout: Type.Optional(Timeout),
    pre_flow_id: Type.Optional(FlowId),
    post_flow_id: Type.Optional(FlowId),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    name: Type.Optional(Name),
    detail: Type.Optional(Detail),
    data: Type.Optional(FreeData),
    timeout: Type.Optional(Timeout),
    pre_flow_id: Type.Optional(FlowId),
    post_flow_id: Type.Optional(FlowId),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    ...PageQuery.properties,
    status: Type.Optional(Type.Enum(['progressing', 'terminating', 'terminated'])),
    type: Type.Optional(Type.Enum([...CONFERENCE_TYPES])),
  },
  { additionalProperties: false },
);

const tags = ['conferences'];

/** The conferences deps, or 503 when this server runs without telephony. */
export function conferencesOf(ctx: ApiContext): ConferencesApiDeps {
  if (!ctx.conferences) throw new ApiError('CONFERENCES_UNAVAILABLE', 'conferences are not available on this server');
  return ctx.conferences;
}

/** List options from a list query: the caller's customer, page and equality filters. */
export function listOptionsOf(
  customerId: string,
  q: { page_size?: number; page_token?: string },
  filter: Record<string, string | undefined>,
): ConferenceListOptions {
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== '') set[k] = v;
  return {
    customerId,
    pageSize: pageSizeOf(q),
    ...(q.page_token ? { pageToken: q.page_token } : {}),
    filter: set,
  };
}

/** An empty flow id means none; a set one must be a flow of the customer. */
async function flowIds(
  ctx: ApiContext,
  customerId: string,
  body: { pre_flow_id?: string; post_flow_id?: string },
): Promise<Pick<ConferencePatch, 'pre_flow_id' | 'post_flow_id'>> {
  const out: Pick<ConferencePatch, 'pre_flow_id' | 'post_flow_id'> = {};
  for (const field of ['pre_flow_id', 'post_flow_id'] as const) {
    const id = body[field];
    if (id === undefined) continue;
    if (id !== '' && id !== NIL_UUID && !(await ctx.store.flows.get(id, { customerId }))) {
      throw ValidationError.field(field, 'FLOW_NOT_FOUND', `flow ${id} not found`);
    }
    out[field] = id === '' ? NIL_UUID : id;
  }
  return out;
}

/** 400 `TOO_LONG` on `data` above {@link FREE_DATA_MAX_BYTES} as JSON. */
function checkData(data: unknown): void {
  if (data !== undefined && freeDataTooLarge(data))
    throw ValidationError.field('data', 'TOO_LONG', `data is more than ${FREE_DATA_MAX_BYTES} bytes as JSON`);
}

/** A conference with VoIPBIN's fields always present; `directHash` is stored beside it (docs/api.md "Direct addresses"). */
export function publicConference(c: Conference, directHash = '') {
  return { ...c, data: c.data ?? {}, direct_hash: directHash };
}

/** {@link publicConference} with its stored `direct_hash`. */
async function shown(ctx: ApiContext, c: Conference) {
  return publicConference(c, await conferenceDirectHash(ctx.store, c.id));
}

async function owned(
  ctx: ApiContext,
  req: FastifyRequest,
): Promise<{ deps: ConferencesApiDeps; conference: Conference; customerId: string }> {
  const deps = conferencesOf(ctx);
  const { id } = req.params as { id: string };
  const customerId = principalOf(req).customerId;
  const conference = await deps.service.get(id, { customerId });
  if (!conference) throw notFound('conference', id);
  return { deps, conference, customerId };
}

function recordingUnavailable(reply: FastifyReply, requestId: string): FastifyReply {
  // CONFERENCE_RECORDING_UNAVAILABLE (501, docs/errors.md), answered here so it is not logged as a failed request.
  return reply.code(501).send({
    error: {
      status: 'UNIMPLEMENTED',
      reason: 'CONFERENCE_RECORDING_UNAVAILABLE',
      message: 'recording a conference is not available on this server',
      request_id: requestId,
    },
  } satisfies ErrorEnvelope);
}

/** `POST/GET /conferences`, `GET/PUT/DELETE /conferences/{id}`, `POST /conferences/{id}/recording_start|recording_stop`. */
export function conferenceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/conferences', { schema: { tags, body: CreateBody, querystring: CredentialQuery } }, async (req) => {
    const customerId = principalOf(req).customerId;
    const body = req.body as Static<typeof CreateBody>;
    checkData(body.data);
    const { pre_flow_id: _pre, post_flow_id: _post, ...rest } = body;
    const created = await conferencesOf(ctx).service.create({
      customer_id: customerId,
      ...rest,
      ...(await flowIds(ctx, customerId, body)),
    });
    // Reachable at its direct address from its creation (docs/api.md "Direct addresses").
    return publicConference(created, (await regenerateConferenceHash(ctx.store, created.id, customerId)) ?? '');
  });

  app.get('/conferences', { schema: { tags, querystring: ListQuery } }, async (req) => {
    const q = req.query as Static<typeof ListQuery>;
    const page = await conferencesOf(ctx).records.listConferences(
      listOptionsOf(principalOf(req).customerId, q, { status: q.status, type: q.type }),
    );
    const hashes = await conferenceDirectHashes(
      ctx.store,
      page.items.map((c) => c.id),
    );
    return {
      result: page.items.map((c) => publicConference(c, hashes.get(c.id))),
      next_page_token: page.nextPageToken,
    };
  });

  app.get('/conferences/:id', { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) =>
    shown(ctx, (await owned(ctx, req)).conference),
  );

  app.put(
    '/conferences/:id',
    { schema: { tags, params: IdParams, body: UpdateBody, querystring: CredentialQuery } },
    async (req) => {
      const { deps, conference, customerId } = await owned(ctx, req);
      const body = req.body as Static<typeof UpdateBody>;
      checkData(body.data);
      const { pre_flow_id: _pre, post_flow_id: _post, ...rest } = body;
      const patch = { ...rest, ...(await flowIds(ctx, customerId, body)) };
      return shown(ctx, await deps.service.update(conference.id, { customerId }, patch));
    },
  );

  app.delete('/conferences/:id', { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) => {
    const { deps, conference, customerId } = await owned(ctx, req);
    return shown(ctx, await deps.service.delete(conference.id, { customerId }));
  });

  for (const action of ['recording_start', 'recording_stop'] as const) {
    app.post(
      `/conferences/:id/${action}`,
      { schema: { tags, params: IdParams, querystring: CredentialQuery } },
      async (req, reply) => {
        const { deps, conference } = await owned(ctx, req);
        if (!deps.recording) return recordingUnavailable(reply, req.id);
        const changed =
          action === 'recording_start' ? await deps.recording.start(conference) : await deps.recording.stop(conference);
        return shown(ctx, changed);
      },
    );
  }
}
