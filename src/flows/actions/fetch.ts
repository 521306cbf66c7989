import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { HttpMethod, httpUrl } from './option-fields.ts';
import type { FetchRequest } from '../ports.ts';
import { withTimeout } from '../wait.ts';

/** How long the customer's server may take to answer (ms). */
export const FETCH_TIMEOUT_MS = 5000;

/** `fetch`: ask the customer's server for the actions that run next. */
export const fetchAction = defineAction({
  type: 'fetch',
  schema: Type.Object(
    { event_url: httpUrl('server answering a JSON array of actions'), event_method: Type.Optional(HttpMethod) },
    { additionalProperties: false },
  ),
  needs: 'none',
  async run(ctx, option, signal) {
    const request: FetchRequest = {
      customer_id: ctx.customerId,
      activeflow_id: ctx.activeflowId,
      action_id: ctx.actionId,
      ...(ctx.callId ? { call_id: ctx.callId } : {}),
      url: option.event_url,
      method: option.event_method ?? 'POST',
      // The activeflow as docs/flows.md promises, with VoIPBIN's `activeflow_id` beside its
      // `reference_id`, so a server written for either finds what it reads.
      body: { ...ctx.snapshot(), activeflow_id: ctx.activeflowId },
    };
    const answer = await withTimeout(ctx.clock, FETCH_TIMEOUT_MS, signal, 'FETCH_TIMEOUT', (s) =>
      ctx.http.fetchJson(request, s),
    );
    return { push: ctx.parseActions(answer, 'fetch') };
  },
});
