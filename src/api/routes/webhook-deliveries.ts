import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebhookDelivery } from '../../store/index.ts';
import { principalOf, type ApiContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { CredentialQuery, pageQueryWith, pageSizeOf } from '../pagination.ts';
import { IdParams } from './crud.ts';

const FILTERS = ['event_type', 'status', 'resource_id', 'event_id'] as const;
const tags = ['webhook_deliveries'];

/** A delivery as the API shows it: without the worker's lease bookkeeping. */
export function publicDelivery(d: WebhookDelivery) {
  const { lease_until: _lease, ...rest } = d;
  return rest;
}

/** `GET /webhook_deliveries[/{id}]` and `POST /webhook_deliveries/{id}/redeliver`, scoped to the caller's customer. */
export function webhookDeliveryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/webhook_deliveries', { schema: { tags, querystring: pageQueryWith([...FILTERS]) } }, async (req) => {
    const p = principalOf(req);
    const q = req.query as Record<string, string | number | undefined>;
    const filter: Record<string, string> = {};
    for (const f of FILTERS) if (typeof q[f] === 'string') filter[f] = q[f] as string;
    const page = await ctx.store.deliveries.list({
      customerId: p.customerId,
      pageSize: pageSizeOf(q),
      ...(typeof q.page_token === 'string' && q.page_token !== '' ? { pageToken: q.page_token } : {}),
      filter,
    });
    return { result: page.items.map(publicDelivery), next_page_token: page.nextPageToken };
  });

  app.get(
    '/webhook_deliveries/:id',
    { schema: { tags, params: IdParams, querystring: CredentialQuery } },
    async (req) => {
      const p = principalOf(req);
      const { id } = (req as FastifyRequest<{ Params: { id: string } }>).params;
      const d = await ctx.store.deliveries.get(id, { customerId: p.customerId });
      if (!d) throw notFound('webhook_delivery', id);
      return publicDelivery(d);
    },
  );

  app.post(
    '/webhook_deliveries/:id/redeliver',
    { schema: { tags, params: IdParams, querystring: CredentialQuery } },
    async (req) => {
      const p = principalOf(req);
      const { id } = (req as FastifyRequest<{ Params: { id: string } }>).params;
      const d = await ctx.store.deliveries.redeliver(id, { customerId: p.customerId });
      if (!d) throw notFound('webhook_delivery', id);
      ctx.events?.deliveriesQueued();
      return publicDelivery(d);
    },
  );
}
