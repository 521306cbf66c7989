import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { flowsJsonSchema, validateFlowActions } from '../../flows/index.ts';
import type { Flow } from '../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { Detail, Name } from '../schemas.ts';
import { registerCrud } from './crud.ts';

const FlowBody = Type.Object(
  {
    name: Type.Optional(Name),
    detail: Type.Optional(Detail),
    actions: Type.Array(Type.Unknown(), { maxItems: 1000 }),
  },
  { additionalProperties: false },
);

const FlowUpdate = Type.Partial(FlowBody, { additionalProperties: false });

function publicFlow(f: Flow) {
  return {
    id: f.id,
    customer_id: f.customer_id,
    type: 'flow',
    name: f.name,
    detail: f.detail,
    actions: f.actions,
    tm_create: f.tm_create,
    tm_update: f.tm_update,
    ...(f.tm_delete ? { tm_delete: f.tm_delete } : {}),
  };
}

/** `/flows` CRUD (actions validated against the action schemas) and `/flows/schema`. */
export function flowRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const langs = ctx.isSupportedLanguage ? { isSupportedLanguage: ctx.isSupportedLanguage } : {};
  app.get('/flows/schema', { schema: { tags: ['flows'] } }, async () => flowsJsonSchema());
  registerCrud<Flow>(app, ctx, {
    path: '/flows',
    name: 'flow',
    tag: 'flows',
    repo: ctx.store.flows,
    createBody: FlowBody,
    updateBody: FlowUpdate,
    toPublic: publicFlow,
    create: async (b, p) => ({
      customer_id: p.customerId,
      name: (b.name as string | undefined) ?? '',
      detail: (b.detail as string | undefined) ?? '',
      actions: validateFlowActions(b.actions, langs),
    }),
    update: async (b) => ({
      ...(b.name !== undefined ? { name: b.name as string } : {}),
      ...(b.detail !== undefined ? { detail: b.detail as string } : {}),
      ...(b.actions !== undefined ? { actions: validateFlowActions(b.actions, langs) } : {}),
    }),
  });
}
