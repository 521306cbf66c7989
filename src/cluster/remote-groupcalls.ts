/**
 * `/groupcalls` in a cluster (docs/cluster.md "Any node serves the whole API"): a groupcall lives in
 * the memory of the node that created it, where its calls ring, and its hangup runs there. Creating
 * runs here; reads come from the shared store (the API's records, not this class).
 */
import type { Groupcall, GroupcallRequest, GroupcallService } from '../calls/index.ts';
import { UnavailableError } from '../shared/index.ts';
import { CommandSender } from './command-sender.ts';
import type { CommandLink, OwnerLookup } from './command-sender.ts';

/** Stored groupcalls (the shared store's rows, deleted ones left out). */
export interface StoredGroupcalls {
  get(groupcallId: string): Promise<Groupcall | undefined>;
}

export interface ClusterGroupcallsDeps extends CommandLink {
  /** This node's groupcalls: the ones it runs, and every one whose node is unknown or this one. */
  local: Pick<GroupcallService, 'create' | 'hangup' | 'getLive'>;
  groupcalls: StoredGroupcalls;
  /**
   * The owner of a call. A groupcall dials its calls on its own node, so the owner of its first call
   * is the groupcall's node.
   */
  calls: OwnerLookup;
}

/** `GroupcallsApiDeps.service` of `api/routes/groupcalls-deps.ts` in a cluster. */
export class ClusterGroupcalls {
  readonly #local: ClusterGroupcallsDeps['local'];
  readonly #stored: StoredGroupcalls;
  readonly #calls: OwnerLookup;
  readonly #sender: CommandSender;

  constructor(deps: ClusterGroupcallsDeps) {
    this.#local = deps.local;
    this.#stored = deps.groupcalls;
    this.#calls = deps.calls;
    this.#sender = new CommandSender(deps);
  }

  /** A groupcall runs on the node that created it. */
  create(request: GroupcallRequest): Promise<Groupcall> {
    return this.#local.create(request);
  }

  /**
   * Runs here when this node runs the groupcall, or when its row gives the single-node answer anyway
   * (404 for another customer's, 409 once over) or no other node; otherwise on its node. A silent
   * node's groupcall already ended by a survivor (docs/cluster.md "Node health") is the usual 409.
   */
  async hangup(groupcallId: string, customerId: string): Promise<Groupcall> {
    const here = () => this.#local.hangup(groupcallId, customerId);
    if (this.#local.getLive(groupcallId)) return here();
    const stored = await this.#stored.get(groupcallId);
    if (!stored || stored.customer_id !== customerId || stored.status === 'hangup') return here();
    const firstCall = stored.call_ids[0];
    const owner = firstCall === undefined ? undefined : await this.#calls.ownerOf(firstCall);
    if (!this.#sender.isRemote(owner) || firstCall === undefined) return here();
    const req = { op: 'groupcallHangup' as const, customerId, callId: firstCall, args: [groupcallId] };
    try {
      return (await this.#sender.send(owner, req, `groupcall ${groupcallId}`)) as Groupcall;
    } catch (err) {
      if (err instanceof UnavailableError && (await this.#stored.get(groupcallId))?.status === 'hangup') return here();
      throw err;
    }
  }
}
