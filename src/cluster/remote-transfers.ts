/**
 * `/transfers` in a cluster (docs/cluster.md "Any node serves the whole API"): a transfer lives in
 * the memory of the node of its calls, and its commands run there.
 */
import type { CallService, Transfer, TransferRequest } from '../calls/index.ts';
import { UnavailableError } from '../shared/index.ts';
import type { CommandSender } from './command-sender.ts';
import type { CommandOp } from './command-wire.ts';

/** The outbox, where a transfer's last state is kept (transfers live in their node's memory). */
export interface TransferEventsLookup {
  listForResource(resourceType: string, resourceId: string): Promise<readonly { data: unknown }[]>;
}

/** The transfer commands of {@link ClusterCalls}: a transfer runs on the node of its transferer's call. */
export class ClusterTransfers {
  readonly #local: CallService;
  readonly #ownerOfCall: (callId: string) => Promise<string | undefined>;
  readonly #sender: CommandSender;
  readonly #events: TransferEventsLookup;

  constructor(
    local: CallService,
    ownerOfCall: (callId: string) => Promise<string | undefined>,
    sender: CommandSender,
    events: TransferEventsLookup,
  ) {
    this.#local = local;
    this.#ownerOfCall = ownerOfCall;
    this.#sender = sender;
    this.#events = events;
  }

  async create(request: TransferRequest): Promise<Transfer> {
    const callId = request.transferer_call_id;
    const owner = await this.#ownerOfCall(callId);
    if (owner === undefined) return this.#local.transfers.create(request);
    const req = { op: 'transferCreate' as const, customerId: request.customer_id, callId, args: [request] };
    return (await this.#sender.send(owner, req, `call ${callId}`)) as Transfer;
  }

  /** Live here, otherwise live on its node, otherwise as its last event left it (ended, or its node silent). */
  async get(transferId: string, customerId: string): Promise<Transfer | undefined> {
    const here = this.#local.transfers.get(transferId, customerId);
    if (here) return here;
    const stored = await this.#stored(transferId, customerId);
    if (!stored) return undefined;
    const owner = await this.#ownerOfCall(stored.transferer_call_id);
    if (owner === undefined) return stored;
    const req = { op: 'transferGet' as const, customerId, callId: stored.transferer_call_id, args: [transferId] };
    try {
      return ((await this.#sender.send(owner, req, `transfer ${transferId}`)) as Transfer | undefined) ?? stored;
    } catch (err) {
      // A read never waits on a silent node: the last stored state stands.
      if (err instanceof UnavailableError) return stored;
      throw err;
    }
  }

  complete(transferId: string, customerId: string): Promise<Transfer> {
    return this.#operate('transferComplete', transferId, customerId, () =>
      this.#local.transfers.complete(transferId, customerId),
    );
  }

  cancel(transferId: string, customerId: string): Promise<Transfer> {
    return this.#operate('transferCancel', transferId, customerId, () =>
      this.#local.transfers.cancel(transferId, customerId),
    );
  }

  async #operate(
    op: CommandOp,
    transferId: string,
    customerId: string,
    here: () => Promise<Transfer>,
  ): Promise<Transfer> {
    if (this.#local.transfers.get(transferId, customerId)) return here();
    const stored = await this.#stored(transferId, customerId);
    const owner = stored && (await this.#ownerOfCall(stored.transferer_call_id));
    if (!stored || owner === undefined) return here();
    const req = { op, customerId, callId: stored.transferer_call_id, args: [transferId] };
    return (await this.#sender.send(owner, req, `transfer ${transferId}`)) as Transfer;
  }

  /** The transfer as its last stored event has it, when it is the customer's. */
  async #stored(transferId: string, customerId: string): Promise<Transfer | undefined> {
    const events = await this.#events.listForResource('transfer', transferId);
    const last = events.at(-1)?.data as Transfer | undefined;
    return last && last.customer_id === customerId && typeof last.transferer_call_id === 'string' ? last : undefined;
  }
}
