import { Type } from 'typebox';
import { Id, Time, TimeOrEmpty, listOf, obj, oneOf } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** One delivery of one event to one webhook target, with its attempt log (docs/webhooks.md). */
export const WebhookDelivery = obj(
  {
    id: Id,
    customer_id: Id,
    event_id: Id,
    resource_type: Type.String(),
    resource_id: Id,
    seq: Type.Integer(),
    event_type: Type.String(),
    uri: Type.String(),
    method: Type.String(),
    status: oneOf(['pending', 'delivering', 'delivered', 'failed']),
    attempts: Type.Integer(),
    last_status_code: Type.Integer({ description: 'HTTP status of the last attempt; 0 when none answered' }),
    last_error: Type.String(),
    latency_ms: Type.Number(),
    next_attempt_at: TimeOrEmpty,
    tm_create: Time,
    tm_update: Time,
  },
  'a webhook delivery',
);

/** `/webhook_deliveries`. */
export const webhookDeliveryResponses: ResponseMap = {
  'GET /webhook_deliveries': listOf(WebhookDelivery, 'a page of deliveries'),
  'GET /webhook_deliveries/:id': WebhookDelivery,
  'POST /webhook_deliveries/:id/redeliver': WebhookDelivery,
};
