import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { HttpMethod, httpUrl } from './option-fields.ts';
import { AppError } from '../../shared/index.ts';
import type { HttpPort, WebhookRequest } from '../ports.ts';
import { withTimeout } from '../wait.ts';

/** How long a webhook may take (ms). */
export const WEBHOOK_TIMEOUT_MS = 5000;

async function sendOnce(http: HttpPort, request: WebhookRequest, signal: AbortSignal): Promise<void> {
  const { status } = await http.send(request, signal);
  if (status < 200 || status >= 300)
    throw new AppError('WEBHOOK_FAILED', `${request.method} ${request.uri} answered ${status}`);
}

/** `webhook_send`: send a signed HTTP request; with `sync` wait for it (5 s timeout). */
export const webhookSendAction = defineAction({
  type: 'webhook_send',
  schema: Type.Object(
    {
      uri: httpUrl('request target'),
      method: Type.Optional(HttpMethod),
      data_type: Type.Optional(
        Type.String({
          pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$',
          maxLength: 128,
          description: 'a media type such as application/json',
        }),
      ),
      data: Type.Optional(Type.String({ maxLength: 65_536, description: 'request body' })),
      sync: Type.Optional(Type.Boolean({ description: 'wait for the response before moving on' })),
    },
    { additionalProperties: false },
  ),
  needs: 'none',
  async run(ctx, option, signal) {
    const request: WebhookRequest = {
      customer_id: ctx.customerId,
      activeflow_id: ctx.activeflowId,
      action_id: ctx.actionId,
      ...(ctx.callId ? { call_id: ctx.callId } : {}),
      uri: option.uri,
      method: option.method ?? 'POST',
      data_type: option.data_type ?? 'application/json',
      data: option.data ?? '',
    };
    const send = (s: AbortSignal): Promise<void> =>
      withTimeout(ctx.clock, WEBHOOK_TIMEOUT_MS, s, 'WEBHOOK_TIMEOUT', (t) => sendOnce(ctx.http, request, t));
    // Not tied to the flow's signal: a webhook sent just before the flow ends must still go out.
    if (option.sync !== true) ctx.background('webhook_send', () => send(new AbortController().signal));
    else await send(signal);
    return undefined;
  },
});
