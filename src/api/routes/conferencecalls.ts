import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Conferencecall } from '../../conferences/index.ts';
import { NIL_UUID } from '../../shared/index.ts';
import { principalOf, type ApiContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { CredentialQuery, PageQuery } from '../pagination.ts';
import { Uuid } from '../schemas.ts';
import { conferencesOf, listOptionsOf } from './conferences.ts';
import { IdParams } from './crud.ts';

const ListQuery = Type.Object(
  {
    ...PageQuery.properties,
    conference_id: Type.Optional(Uuid),
    reference_id: Type.Optional(Uuid),
    status: Type.Optional(Type.Enum(['joining', 'joined', 'leaving', 'leaved'])),
  },
  { additionalProperties: false },
);

const tags = ['conferencecalls'];

/** A conferencecall with `activeflow_id` always present: the nil UUID on rows stored before it was kept. */
export function publicConferencecall(cc: Conferencecall): Conferencecall & { activeflow_id: string } {
  return { ...cc, activeflow_id: cc.activeflow_id ?? NIL_UUID };
}

function scopeOf(req: FastifyRequest): { id: string; scope: { customerId: string } } {
  return { id: (req.params as { id: string }).id, scope: { customerId: principalOf(req).customerId } };
}

/** `GET /conferencecalls`, `GET/DELETE /conferencecalls/{id}` (kick), `POST/DELETE /conferencecalls/{id}/mute`. */
export function conferencecallRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/conferencecalls', { schema: { tags, querystring: ListQuery } }, async (req) => {
    const q = req.query as Static<typeof ListQuery>;
    const filter = { conference_id: q.conference_id, reference_id: q.reference_id, status: q.status };
    const page = await conferencesOf(ctx).records.listConferencecalls(
      listOptionsOf(principalOf(req).customerId, q, filter),
    );
    return { result: page.items.map(publicConferencecall), next_page_token: page.nextPageToken };
  });

  app.get('/conferencecalls/:id', { schema: { tags, params: IdParams, querystring: CredentialQuery } }, async (req) => {
    const { id, scope } = scopeOf(req);
    const cc = await conferencesOf(ctx).service.getConferencecall(id, scope);
    if (!cc) throw notFound('conferencecall', id);
    return publicConferencecall(cc);
  });

  app.delete(
    '/conferencecalls/:id',
    { schema: { tags, params: IdParams, querystring: CredentialQuery } },
    async (req) => {
      const { id, scope } = scopeOf(req);
      return publicConferencecall(await conferencesOf(ctx).service.kick(id, scope));
    },
  );

  for (const [method, muted] of [
    ['POST', true],
    ['DELETE', false],
  ] as const) {
    app.route({
      method,
      url: '/conferencecalls/:id/mute',
      schema: { tags, params: IdParams, querystring: CredentialQuery },
      handler: async (req) => {
        const { id, scope } = scopeOf(req);
        return publicConferencecall(await conferencesOf(ctx).service.setMuted(id, scope, muted));
      },
    });
  }
}
