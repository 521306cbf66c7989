import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { principalOf, type ApiContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { CredentialQuery } from '../pagination.ts';
import { conferencesOf, publicConference } from './conferences.ts';
import { IdParams } from './crud.ts';
import { regenerateConferenceHash, withFreshHash } from './direct-hash-store.ts';
import { publicExtension } from './extensions.ts';
import { publicFlow } from './flows.ts';

const NIL_OR_TIME = Type.Optional(Type.String());
const DirectHash = Type.String({ description: 'sip:direct.<direct_hash>@<customer id>.<sip domain> reaches it' });

// The answers name every field the resource shows and let any other through, so neither a
// filtering serializer nor a field added later loses anything.
const FlowAnswer = Type.Object(
  {
    id: Type.String(),
    customer_id: Type.String(),
    type: Type.String(),
    name: Type.String(),
    detail: Type.String(),
    actions: Type.Array(Type.Unknown()),
    on_complete_flow_id: Type.String(),
    direct_hash: DirectHash,
    tm_create: Type.String(),
    tm_update: Type.String(),
    tm_delete: NIL_OR_TIME,
  },
  { additionalProperties: true },
);

const ExtensionAnswer = Type.Object(
  {
    id: Type.String(),
    customer_id: Type.String(),
    extension: Type.String(),
    username: Type.String(),
    domain_name: Type.String(),
    name: Type.String(),
    detail: Type.String(),
    direct_hash: DirectHash,
    tm_create: Type.String(),
    tm_update: Type.String(),
    tm_delete: NIL_OR_TIME,
  },
  { additionalProperties: true },
);

const ConferenceAnswer = Type.Object(
  {
    id: Type.String(),
    customer_id: Type.String(),
    type: Type.String(),
    status: Type.String(),
    name: Type.String(),
    detail: Type.String(),
    data: Type.Record(Type.String(), Type.Unknown()),
    timeout: Type.Integer(),
    pre_flow_id: Type.String(),
    post_flow_id: Type.String(),
    conferencecall_ids: Type.Array(Type.String()),
    recording_id: Type.String(),
    recording_ids: Type.Array(Type.String()),
    direct_hash: DirectHash,
    tm_create: Type.String(),
    tm_update: Type.String(),
    tm_end: NIL_OR_TIME,
  },
  { additionalProperties: true },
);

const schema = (tag: string, answer: ReturnType<typeof Type.Object>) => ({
  tags: [tag],
  summary: 'Give it a new direct hash; the old address stops working at once',
  params: IdParams,
  querystring: CredentialQuery,
  response: { 200: answer },
});

function target(req: FastifyRequest): { id: string; customerId: string } {
  return { id: (req.params as { id: string }).id, customerId: principalOf(req).customerId };
}

/**
 * `POST /{flows|extensions|conferences}/{id}/direct-hash-regenerate` (docs/api.md "Direct
 * addresses"): a fresh hash replaces the resource's one (or its first, for a resource made before
 * direct addresses), and the answer is the resource. Another customer's id is 404.
 */
export function directHashRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/flows/:id/direct-hash-regenerate', { schema: schema('flows', FlowAnswer) }, async (req) => {
    const { id, customerId } = target(req);
    const flow = await withFreshHash((direct_hash) => ctx.store.flows.update(id, { direct_hash }, { customerId }));
    if (!flow) throw notFound('flow', id);
    return publicFlow(flow);
  });

  app.post('/extensions/:id/direct-hash-regenerate', { schema: schema('extensions', ExtensionAnswer) }, async (req) => {
    const { id, customerId } = target(req);
    const extension = await withFreshHash((direct_hash) =>
      ctx.store.extensions.update(id, { direct_hash }, { customerId }),
    );
    if (!extension) throw notFound('extension', id);
    return publicExtension(extension);
  });

  app.post(
    '/conferences/:id/direct-hash-regenerate',
    { schema: schema('conferences', ConferenceAnswer) },
    async (req) => {
      const { id, customerId } = target(req);
      const conference = await conferencesOf(ctx).service.get(id, { customerId });
      const hash = conference && (await regenerateConferenceHash(ctx.store, conference.id, customerId));
      if (!conference || hash === undefined) throw notFound('conference', id);
      return publicConference(conference, hash);
    },
  );
}
