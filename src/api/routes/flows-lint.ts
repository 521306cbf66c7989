import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { checkFlow, checkFlowLimits, lintFlow } from '../../flows/index.ts';
import type { LintContext, LintWarning } from '../../flows/index.ts';
import { isUuid } from '../../shared/index.ts';
import { principalOf } from '../context.ts';
import type { ApiContext } from '../context.ts';
import { CredentialQuery } from '../pagination.ts';

/** What the linter asks of a customer's world: the speech engine's voices, the customer's extensions. */
export function flowLintContext(ctx: ApiContext, customerId: string): LintContext {
  const voices = ctx.ttsVoices ? new Set(ctx.ttsVoices().map((v) => v.voice_id)) : undefined;
  return {
    ...(ctx.isSupportedLanguage ? { isSupportedLanguage: ctx.isSupportedLanguage } : {}),
    ...(voices ? { isSupportedVoice: (id: string) => voices.has(id) } : {}),
    // An extension by name or by id, as a call dials it (docs/calls.md "Creating calls").
    extensionExists: async (extension) => {
      const row = isUuid(extension)
        ? await ctx.store.extensions.get(extension.toLowerCase(), { customerId })
        : await ctx.store.extensions.findByExtension(customerId, extension);
      return row !== undefined;
    },
  };
}

/** The warnings of a stored flow (docs/testing-your-flows.md "Linter"). */
export async function storedFlowWarnings(
  ctx: ApiContext,
  flow: { customer_id: string; actions: readonly unknown[] },
): Promise<LintWarning[]> {
  return lintFlow(flow.actions, flowLintContext(ctx, flow.customer_id));
}

const LintBody = Type.Object(
  {
    actions: Type.Array(Type.Unknown(), { maxItems: 1000 }),
    // A flow body as `POST /flows` takes it may be linted as it is; these fields are not checked.
    name: Type.Optional(Type.Unknown()),
    detail: Type.Optional(Type.Unknown()),
    on_complete_flow_id: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

/**
 * `POST /flows/lint {actions}`: validation errors and linter warnings, nothing saved; a list beyond
 * the size limits (nesting depth, inline lists) is 400 before the linter sees it.
 */
export function flowLintRoute(app: FastifyInstance, ctx: ApiContext): void {
  app.post(
    '/flows/lint',
    { schema: { tags: ['flows'], body: LintBody, querystring: CredentialQuery } },
    async (req) => {
      const p = principalOf(req);
      const { actions } = req.body as { actions: unknown[] };
      // Beyond the size limits of a saved flow the list is refused (400), never linted:
      // docs/flows.md "Limits".
      checkFlowLimits(actions);
      return checkFlow(actions, flowLintContext(ctx, p.customerId));
    },
  );
}
