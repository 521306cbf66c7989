import type { FlowAction, FlowLookupPort, StoredFlow } from '../../flows/index.ts';
import type { Store } from '../../store/index.ts';

/** Stored flows for the flow engine (its FlowLookupPort), read from the store's `flows` table. */
export class FlowLookupAdapter implements FlowLookupPort {
  readonly #store: Pick<Store, 'flows'>;

  constructor(store: Pick<Store, 'flows'>) {
    this.#store = store;
  }

  /** The customer's live flow; another customer's or a deleted one is undefined. */
  async getFlow(customerId: string, flowId: string): Promise<StoredFlow | undefined> {
    const flow = await this.#store.flows.get(flowId, { customerId });
    if (flow === undefined) return undefined;
    // The flows API validates and fills ids before saving, so stored actions are in stored form.
    return { id: flow.id, customer_id: flow.customer_id, actions: flow.actions as FlowAction[] };
  }
}
