import type { ClaimedEvent, WebhookDelivery } from '../store/index.ts';

/** The log field that names each resource type's id. */
const ID_FIELD: Readonly<Record<string, string>> = {
  call: 'call_id',
  activeflow: 'activeflow_id',
  conference: 'conference_id',
  recording: 'recording_id',
};

/**
 * The ids a delivery's log lines carry, so they join the timeline of the call they are about
 * (docs/architecture.md "Logs"): the event's resource id, and `call_id` too when the resource
 * (an activeflow, a recording) belongs to a call. Called on failure lines only: it parses the event's text.
 */
export function deliveryLogIds(
  d: Pick<WebhookDelivery, 'id' | 'resource_type' | 'resource_id'>,
  event?: Pick<ClaimedEvent, 'data'>,
): Record<string, string> {
  const ids: Record<string, string> = { delivery_id: d.id };
  const field = ID_FIELD[d.resource_type];
  if (field !== undefined) ids[field] = d.resource_id;
  if (ids.call_id !== undefined || event === undefined) return ids;
  const data = parsed(event.data);
  if (data?.reference_type === 'call' && typeof data.reference_id === 'string') ids.call_id = data.reference_id;
  return ids;
}

function parsed(text: string): { reference_type?: unknown; reference_id?: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
