import type { Bus } from '../bus/index.ts';
import { CUSTOMER_DELETED } from '../bus/index.ts';
import type { Logger } from '../shared/index.ts';

/** Options of {@link startCustomerDeletion}. */
export interface CustomerDeletionOptions {
  bus: Bus;
  nodeId: string;
  /** Ends the customer's live calls and activeflows held by this node. */
  endLocal(customerId: string): void;
  logger: Logger;
}

/** What the API's `onCustomerDeleted` calls in a cluster. */
export interface CustomerDeletion {
  /** The customer was deleted through this node: end its calls here and on every other node. */
  deleted(customerId: string): void;
  stop(): void;
}

/**
 * A customer deleted through one node loses its live calls and activeflows on every node
 * (docs/security.md "Deleting a customer", docs/cluster.md "Bus"): the node that deleted it ends its
 * own and publishes the id; the others end theirs when they hear it. The deletion itself is stored
 * first, so a node that misses the message still refuses the customer's requests; calls it holds for
 * the customer end when they end.
 */
export function startCustomerDeletion(o: CustomerDeletionOptions): CustomerDeletion {
  const log = o.logger.child({ module: 'customer-deletion' });
  const stop = o.bus.subscribe(CUSTOMER_DELETED, (data) => {
    let message: { customerId?: unknown; node?: unknown };
    try {
      message = JSON.parse(data) as typeof message;
    } catch {
      log.warn('customer deletion message is not JSON: dropped');
      return;
    }
    if (typeof message.customerId !== 'string' || message.node === o.nodeId) return;
    o.endLocal(message.customerId);
  });
  return {
    deleted: (customerId) => {
      o.endLocal(customerId);
      try {
        o.bus.publish(CUSTOMER_DELETED, JSON.stringify({ customerId, node: o.nodeId }));
      } catch (err) {
        log.warn({ err, customer_id: customerId }, 'the other nodes were not told of a deleted customer');
      }
    },
    stop,
  };
}
