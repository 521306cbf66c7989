import type { OutboxEvent } from '../store/index.ts';
import type { DeliveryTarget } from './webhook-sender.ts';

/** The webhook settings of a customer that decide its own target. */
export interface WebhookSettings {
  webhook_uri: string;
  webhook_method: string;
  webhook_event_types: readonly string[];
}

/** A hook adding targets for an event (e.g. a per-activeflow webhook_uri resolved elsewhere). */
export type TargetResolver = (event: OutboxEvent) => readonly DeliveryTarget[];

function isHttpUrl(value: unknown): value is string {
  return typeof value === 'string' && /^https?:\/\/\S+$/i.test(value);
}

/** Decides where an event is delivered: the customer's webhook, the resource's own, and added hooks. */
export class DeliveryTargets {
  readonly #resolvers: TargetResolver[] = [];

  /** Add a resolver that later modules use to contribute targets. */
  addResolver(resolver: TargetResolver): void {
    this.#resolvers.push(resolver);
  }

  /**
   * Every distinct target of `event`; the customer's filter applies to the customer's target only.
   * `data` is the event's data when the caller holds it already (the same content as `event.data`).
   */
  targetsFor(event: OutboxEvent, customer: WebhookSettings | undefined, data: unknown = event.data): DeliveryTarget[] {
    const out: DeliveryTarget[] = [];
    const add = (t: DeliveryTarget) => {
      const method = (t.method || 'POST').toUpperCase();
      if (!out.some((o) => o.uri === t.uri && o.method === method)) out.push({ uri: t.uri, method });
    };
    if (customer && isHttpUrl(customer.webhook_uri)) {
      const types = customer.webhook_event_types;
      if (types.length === 0 || types.includes(event.type))
        add({ uri: customer.webhook_uri, method: customer.webhook_method });
    }
    const own = data as { webhook_uri?: unknown; webhook_method?: unknown } | null;
    if (own && typeof own === 'object' && isHttpUrl(own.webhook_uri)) {
      add({ uri: own.webhook_uri, method: typeof own.webhook_method === 'string' ? own.webhook_method : 'POST' });
    }
    for (const resolve of this.#resolvers) for (const t of resolve(event)) if (isHttpUrl(t.uri)) add(t);
    return out;
  }
}
