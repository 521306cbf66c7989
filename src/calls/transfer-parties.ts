import { InvalidStateError, NIL_UUID, NotFoundError, ValidationError } from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import type { Address } from './address.ts';
import type { Call } from './call.ts';
import { transferTransition } from './transfer.ts';
import type { TransferChange, TransferStorePort } from './transfer.ts';
import { WAIT_ACTIONS, callerIdOf, requireProgressing } from './transfer-steps.ts';
import type { TransferCalls } from './transfer-steps.ts';

/**
 * The calls of a transfer started by `POST /transfers` or a blind REFER: the agent's call
 * (`transferer_call_id`, the customer's, answered, chained to a caller) and the caller's call.
 */
export async function blindParties(
  calls: TransferCalls,
  customerId: string,
  transfererCallId: string,
): Promise<{ agent: Call; caller: Call }> {
  const agent = await calls.get(transfererCallId);
  if (!agent || agent.customer_id !== customerId)
    throw new NotFoundError('CALL_NOT_FOUND', `call ${transfererCallId} does not exist`);
  requireProgressing(agent, 'transferer_call_id');
  if (agent.master_call_id === NIL_UUID) {
    // Hanging up a master would cascade to its chained calls, the caller among them (docs/calls.md "Chaining").
    throw new InvalidStateError(
      `call ${agent.id} is not chained to a caller's call: only the agent's (chained) call can be transferred`,
      'TRANSFER_NOT_SUPPORTED',
    );
  }
  const caller = await calls.get(agent.master_call_id);
  if (!caller) throw new NotFoundError('CALL_NOT_FOUND', `call ${agent.master_call_id} does not exist`);
  requireProgressing(caller, 'transferer_call_id');
  if (calls.legId(agent.id) === undefined || calls.legId(caller.id) === undefined) {
    throw new InvalidStateError(`call ${agent.id} is not bridged to its caller`, 'CALL_STATE_INVALID');
  }
  return { agent, caller };
}

/** Dials the transferee chained to the caller's call, with a flow that only waits to be bridged. */
export async function dialTransferee(
  calls: TransferCalls,
  customerId: string,
  caller: Call,
  transferee: Address,
): Promise<Call> {
  try {
    const [call] = await calls.createOutgoing({
      customer_id: customerId,
      source: callerIdOf(caller),
      destinations: [transferee],
      actions: WAIT_ACTIONS,
      master_call_id: caller.id,
    });
    if (!call) throw new InvalidStateError('no call was created for the transferee', 'TRANSFER_DIAL_FAILED');
    return call;
  } catch (err) {
    // The domain validates a list of destinations; this request names a single `transferee`.
    if (!(err instanceof ValidationError)) throw err;
    throw new ValidationError(
      err.details.map((d) => ({ ...d, field: d.field.replace(/^destinations\[0\]/, 'transferee') })),
      err.code,
    );
  }
}

/**
 * Crash safety (docs/calls.md "Crash safety"): every stored transfer a previous process left running
 * (not `isLive` here) ends `failed` with `end_reason` `restart`, stored with its events; its calls
 * are ended by the calls' own reconciliation. It ends at `lastAliveMs` (the dead process's last
 * heartbeat) or its own last change when that came later, never after now. Returns the changes.
 */
export async function endLeftoverTransfers(
  deps: { store: TransferStorePort; clock: Clock; logger: Logger },
  isLive: (transferId: string) => boolean,
  options: { nodeId?: string | undefined; lastAliveMs?: number | undefined },
): Promise<TransferChange[]> {
  const startMs = deps.clock.now();
  const changes: TransferChange[] = [];
  const filter = options.nodeId === undefined ? {} : { nodeId: options.nodeId };
  for (const stale of await deps.store.listUnfinished(filter)) {
    if (isLive(stale.id)) continue;
    const updatedMs = Date.parse(stale.tm_update);
    const atMs =
      options.lastAliveMs === undefined
        ? startMs
        : Math.min(startMs, Math.max(options.lastAliveMs, Number.isNaN(updatedMs) ? 0 : updatedMs));
    const change = transferTransition(stale, 'failed', atMs, deps.logger, 'restart');
    if (!change) continue;
    await deps.store.save(change);
    changes.push(change);
  }
  if (changes.length > 0)
    deps.logger.info({ count: changes.length, ...filter }, 'ended transfers left running by a previous process');
  return changes;
}
