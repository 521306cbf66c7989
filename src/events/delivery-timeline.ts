import { NIL_UUID } from '../shared/index.ts';
import type { ClaimedEvent, WebhookDelivery } from '../store/index.ts';
import type { NewTimelineEntry, TimelineSubject } from '../timeline/index.ts';
import type { SendResult } from './webhook-sender.ts';

/** The last target cut and its cut: a customer's deliveries mostly go to one URL. */
let lastUri = '';
let lastCut = '';

/** The scheme, host and path of a webhook target, without its query (docs/timeline.md "Entries"). */
export function urlWithoutQuery(uri: string): string {
  if (uri === lastUri && uri !== '') return lastCut;
  let cut: string;
  try {
    const u = new URL(uri);
    cut = `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    cut = uri.split(/[?#]/, 1)[0] ?? '';
  }
  lastUri = uri;
  lastCut = cut;
  return cut;
}

/** The `reference_id` of a call in an event's text, for resources that belong to a call. */
function referencedCall(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const data = JSON.parse(text) as { reference_type?: unknown; reference_id?: unknown; conference_id?: unknown };
    return data.reference_type === 'call' && typeof data.reference_id === 'string' ? data.reference_id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The call, activeflow or conference a delivered event belongs to; undefined for events of other
 * resources (a number, a flow), which belong to no timeline. Only conferencecall and recording
 * events have their text parsed, to find their call.
 */
function subjectOf(d: WebhookDelivery, event: ClaimedEvent | undefined): TimelineSubject | undefined {
  const customer = d.customer_id;
  switch (d.resource_type) {
    case 'call':
      return { customer_id: customer, call_id: d.resource_id, activeflow_id: NIL_UUID, conference_id: NIL_UUID };
    case 'activeflow':
      return { customer_id: customer, call_id: NIL_UUID, activeflow_id: d.resource_id, conference_id: NIL_UUID };
    case 'conference':
      return { customer_id: customer, call_id: NIL_UUID, activeflow_id: NIL_UUID, conference_id: d.resource_id };
    case 'conferencecall':
    case 'recording': {
      const callId = referencedCall(event?.data);
      return callId
        ? { customer_id: customer, call_id: callId, activeflow_id: NIL_UUID, conference_id: NIL_UUID }
        : undefined;
    }
    default:
      return undefined;
  }
}

/** The `webhook` entry of one delivery attempt (docs/timeline.md "Entries"), or undefined when it belongs to no call. */
export function webhookEntry(
  d: WebhookDelivery,
  event: ClaimedEvent | undefined,
  result: SendResult,
): NewTimelineEntry | undefined {
  const subject = subjectOf(d, event);
  if (!subject) return undefined;
  const url = urlWithoutQuery(d.uri);
  const outcome = result.statusCode > 0 ? String(result.statusCode) : result.error || 'no answer';
  return {
    customer_id: subject.customer_id,
    call_id: subject.call_id,
    activeflow_id: subject.activeflow_id,
    conference_id: subject.conference_id,
    kind: 'webhook',
    summary: `${d.event_type} → ${d.method} ${url}: ${outcome} in ${result.latencyMs} ms`,
    data: {
      event_type: d.event_type,
      method: d.method,
      url,
      status: result.statusCode,
      latency_ms: result.latencyMs,
      attempt: d.attempts + 1,
      delivery_id: d.id,
      ...(result.error ? { error: result.error } : {}),
    },
  };
}
