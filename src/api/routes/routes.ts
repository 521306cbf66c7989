import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { NIL_UUID } from '../../shared/index.ts';
import type { Route } from '../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { Detail, Name, Uuid } from '../schemas.ts';
import { pickDefined, registerCrud } from './crud.ts';
import { checkRef, missingRef } from './refs.ts';

const Target = Type.String({
  pattern: '^(all|\\+[1-9][0-9]{0,3})$',
  'x-reason': 'INVALID_ROUTE_TARGET',
  'x-message': "must be 'all' or '+' and a country code of 1 to 4 digits",
});
const RouteBody = Type.Object(
  {
    customer_id: Type.Optional(Uuid),
    provider_id: Uuid,
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })),
    target: Target,
    name: Type.Optional(Name),
    detail: Type.Optional(Detail),
  },
  { additionalProperties: false },
);
const RouteUpdate = Type.Partial(Type.Omit(RouteBody, ['customer_id']), { additionalProperties: false });

function publicRoute(r: Route) {
  const { tm_delete, ...rest } = r;
  return { ...rest, ...(tm_delete ? { tm_delete } : {}) };
}

/** `/routes` (project admin): which providers serve which destinations for which customer. */
export function routeRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const providerExists = (id: string) => ctx.store.providers.get(id);
  registerCrud<Route>(app, ctx, {
    path: '/routes',
    name: 'route',
    tag: 'routes',
    repo: ctx.store.routes,
    adminOnly: true,
    createBody: RouteBody,
    updateBody: RouteUpdate,
    listFilters: ['customer_id', 'provider_id', 'target'],
    toPublic: publicRoute,
    create: async (b) => {
      await checkRef('customer_id', 'CUSTOMER_NOT_FOUND', 'customer', b.customer_id, (id) =>
        ctx.store.customers.get(id),
      );
      if (!(await providerExists(b.provider_id as string)))
        throw missingRef('provider_id', 'PROVIDER_NOT_FOUND', 'provider', b.provider_id as string);
      return {
        customer_id: (b.customer_id as string | undefined) ?? NIL_UUID,
        provider_id: b.provider_id as string,
        priority: (b.priority as number | undefined) ?? 1,
        target: b.target as string,
        name: (b.name as string | undefined) ?? '',
        detail: (b.detail as string | undefined) ?? '',
      };
    },
    update: async (b) => {
      await checkRef('provider_id', 'PROVIDER_NOT_FOUND', 'provider', b.provider_id, providerExists);
      return pickDefined(b, ['provider_id', 'priority', 'target', 'name', 'detail'] as const) as Partial<Route>;
    },
  });
}
