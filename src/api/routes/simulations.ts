import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { FlowAction } from '../../flows/index.ts';
import { ValidationError } from '../../shared/index.ts';
import { RealHttp, SimulationScriptSchema, simulate } from '../../simulator/index.ts';
import { principalOf } from '../context.ts';
import type { ApiContext } from '../context.ts';
import { CredentialQuery } from '../pagination.ts';
import { Uuid } from '../schemas.ts';

const SimulationBody = Type.Object(
  {
    flow_id: Type.Optional(Uuid),
    actions: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 1000 })),
    script: Type.Optional(SimulationScriptSchema),
  },
  { additionalProperties: false },
);

type SimulationBodyT = { flow_id?: string; actions?: unknown[]; script?: unknown };

/**
 * `POST /simulations`: runs a stored flow of the caller's customer, or inline actions, against a
 * simulated call on a virtual clock and answers the timeline (docs/testing-your-flows.md
 * "Simulator"); another customer's flow is 404 `FLOW_NOT_FOUND`.
 */
export function simulationRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post(
    '/simulations',
    { schema: { tags: ['simulations'], body: SimulationBody, querystring: CredentialQuery } },
    async (req) => {
      const body = req.body as SimulationBodyT;
      if ((body.flow_id === undefined) === (body.actions === undefined))
        throw ValidationError.field('flow_id', 'INVALID_ARGUMENT', 'give exactly one of flow_id and actions');
      const customerId = principalOf(req).customerId;
      const realHttp = new RealHttp(ctx.mode);
      try {
        return await simulate({
          customer_id: customerId,
          flow: body.flow_id !== undefined ? { flow_id: body.flow_id } : { actions: body.actions ?? [] },
          script: body.script,
          flows: {
            getFlow: async (owner, flowId) => {
              const flow = await ctx.store.flows.get(flowId, { customerId: owner });
              return flow && { id: flow.id, customer_id: flow.customer_id, actions: flow.actions as FlowAction[] };
            },
          },
          realHttp,
          ...(ctx.isSupportedLanguage ? { isSupportedLanguage: ctx.isSupportedLanguage } : {}),
        });
      } finally {
        await realHttp.close();
      }
    },
  );
}
