import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { flowsJsonSchema, validateFlowActions } from '../../flows/index.ts';
import type { Flow } from '../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { NIL_UUID } from '../../shared/index.ts';
import { Detail, Name, UuidOrEmpty } from '../schemas.ts';
import { registerCrud } from './crud.ts';
import { newDirectHash } from './direct-hash-store.ts';
import { checkRef } from './refs.ts';
import { flowLintRoute, storedFlowWarnings } from './flows-lint.ts';

const FlowBody = Type.Object(
  {
    name: Type.Optional(Name),
    detail: Type.Optional(Detail),
    actions: Type.Array(Type.Unknown(), { maxItems: 1000 }),
    // Stored and echoed: callbin runs no flow after another (docs/voipbin-compatibility.md "Flows").
    on_complete_flow_id: Type.Optional(UuidOrEmpty),
  },
  { additionalProperties: false },
);

const FlowUpdate = Type.Partial(FlowBody, { additionalProperties: false });

export function publicFlow(f: Flow) {
  return {
    id: f.id,
    customer_id: f.customer_id,
    type: 'flow',
    name: f.name,
    detail: f.detail,
    actions: f.actions,
    on_complete_flow_id: f.on_complete_flow_id ?? NIL_UUID,
    direct_hash: f.direct_hash ?? '',
    tm_create: f.tm_create,
    tm_update: f.tm_update,
    ...(f.tm_delete ? { tm_delete: f.tm_delete } : {}),
  };
}

/** `/flows` CRUD (actions validated against the action schemas) and `/flows/schema`. */
export function flowRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const langs = ctx.isSupportedLanguage ? { isSupportedLanguage: ctx.isSupportedLanguage } : {};
  app.get('/flows/schema', { schema: { tags: ['flows'] } }, async () => flowsJsonSchema());
  flowLintRoute(app, ctx);
  /** The body's `on_complete_flow_id` ('' = none) once it names a flow of the customer; undefined when absent. */
  const onCompleteOf = async (b: Record<string, unknown>, customerId: string): Promise<string | undefined> => {
    if (typeof b.on_complete_flow_id !== 'string') return undefined;
    const id = b.on_complete_flow_id === '' ? NIL_UUID : b.on_complete_flow_id;
    await checkRef('on_complete_flow_id', 'FLOW_NOT_FOUND', 'flow', id, (f) => ctx.store.flows.get(f, { customerId }));
    return id;
  };
  registerCrud<Flow>(app, ctx, {
    path: '/flows',
    name: 'flow',
    tag: 'flows',
    repo: ctx.store.flows,
    createBody: FlowBody,
    updateBody: FlowUpdate,
    toPublic: publicFlow,
    // The linter's findings on the flow as saved (docs/testing-your-flows.md "Linter"): saved all the same.
    detail: async (row) => ({ warnings: await storedFlowWarnings(ctx, row) }),
    create: async (b, p) => {
      const onComplete = await onCompleteOf(b, p.customerId);
      return {
        customer_id: p.customerId,
        name: (b.name as string | undefined) ?? '',
        detail: (b.detail as string | undefined) ?? '',
        actions: validateFlowActions(b.actions, langs),
        on_complete_flow_id: onComplete ?? NIL_UUID,
        // A flow is reachable at its direct address from its creation (docs/api.md "Direct addresses").
        direct_hash: newDirectHash(),
      };
    },
    update: async (b, _row, p) => {
      const onComplete = await onCompleteOf(b, p.customerId);
      return {
        ...(b.name !== undefined ? { name: b.name as string } : {}),
        ...(b.detail !== undefined ? { detail: b.detail as string } : {}),
        ...(b.actions !== undefined ? { actions: validateFlowActions(b.actions, langs) } : {}),
        ...(onComplete !== undefined ? { on_complete_flow_id: onComplete } : {}),
      };
    },
  });
}
