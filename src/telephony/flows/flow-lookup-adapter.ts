import type { FlowAction, FlowLookupPort, StoredFlow } from '../../flows/index.ts';
import type { Store } from '../../store/index.ts';

/** Stored flows for the flow engine (its FlowLookupPort), read from the store's `flows` table. */
export class FlowLookupAdapter implements FlowLookupPort {
  readonly #store: Pick<Store, 'flows'> & Partial<Pick<Store, 'customers'>>;

  constructor(store: Pick<Store, 'flows'> & Partial<Pick<Store, 'customers'>>) {
    this.#store = store;
  }

  /**
   * The customer's live flow; another customer's, a deleted one, or one of a frozen customer
   * (which starts no flow, docs/api.md "Freezing a customer") is undefined.
   */
  async getFlow(customerId: string, flowId: string): Promise<StoredFlow | undefined> {
    const flow = await this.#store.flows.get(flowId, { customerId });
    if (flow === undefined) return undefined;
    if ((await this.#store.customers?.get(customerId))?.status === 'frozen') return undefined;
    // The flows API validates and fills ids before saving, so stored actions are in stored form.
    return { id: flow.id, customer_id: flow.customer_id, actions: flow.actions as FlowAction[] };
  }
}
