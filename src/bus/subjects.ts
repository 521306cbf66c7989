/**
 * The subjects the nodes of a cluster talk on (docs/cluster.md "Bus"). A node id may hold `.`, which
 * separates subject tokens, so a node's subjects carry it as a token with `.` replaced by `_`.
 */

/** Every subject callbin uses starts with this token. */
export const SUBJECT_ROOT = 'callbin';

/** `nodeId` as one subject token: `.` becomes `_` (node ids are `[A-Za-z0-9_.:-]`, docs/cluster.md). */
export function nodeSubjectToken(nodeId: string): string {
  if (nodeId === '' || /[\s*>]/.test(nodeId)) throw new Error(`not a node id: ${JSON.stringify(nodeId)}`);
  return nodeId.replaceAll('.', '_');
}

/** Liveness and node-id clash check of one node: `callbin.node.<node>.ping`. */
export function nodePingSubject(nodeId: string): string {
  return `${SUBJECT_ROOT}.node.${nodeSubjectToken(nodeId)}.ping`;
}

/** Commands to the node that owns a live call (JSON request/reply): `callbin.node.<node>.cmd`. */
export function nodeCommandSubject(nodeId: string): string {
  return `${SUBJECT_ROOT}.node.${nodeSubjectToken(nodeId)}.cmd`;
}

/** Committed events of one customer, from every node: `callbin.events.<customerId>`. */
export function eventsSubject(customerId: string): string {
  if (customerId === '' || /[\s.*>]/.test(customerId))
    throw new Error(`not a customer id: ${JSON.stringify(customerId)}`);
  return `${SUBJECT_ROOT}.events.${customerId}`;
}

/** The committed events of every customer. */
export const ALL_EVENTS = `${SUBJECT_ROOT}.events.>`;

/** A customer was deleted: every node ends the customer's live calls and activeflows it holds. */
export const CUSTOMER_DELETED = `${SUBJECT_ROOT}.customer.deleted`;
