/**
 * `/activeflows` in a cluster (docs/cluster.md "Any node serves the whole API"): an activeflow is
 * stopped on the node that runs it; the rest runs here.
 */
import type { Activeflow, ApiActiveflowRequest, FlowEngine } from '../flows/index.ts';
import { CommandSender } from './command-sender.ts';
import type { CommandLink, OwnerLookup } from './command-sender.ts';

export interface ClusterActiveflowsDeps extends CommandLink {
  local: FlowEngine;
  activeflows: OwnerLookup;
}

/** `ActiveflowRuntime` of `api/routes/activeflows-deps.ts` in a cluster: stop runs on the activeflow's node. */
export class ClusterActiveflows {
  readonly #local: FlowEngine;
  readonly #owners: OwnerLookup;
  readonly #sender: CommandSender;

  constructor(deps: ClusterActiveflowsDeps) {
    this.#local = deps.local;
    this.#owners = deps.activeflows;
    this.#sender = new CommandSender(deps);
  }

  startForApi(request: ApiActiveflowRequest): Promise<Activeflow> {
    return this.#local.startForApi(request);
  }

  get(activeflowId: string): Promise<Activeflow | undefined> {
    return this.#local.get(activeflowId);
  }

  async stop(activeflowId: string, options: { hangupCall?: boolean }, customerId: string): Promise<void> {
    const live = this.#local.listLive().includes(activeflowId);
    const owner = live ? undefined : await this.#owners.ownerOf(activeflowId);
    if (!this.#sender.isRemote(owner)) return this.#local.stop(activeflowId, options);
    const req = { op: 'activeflowStop' as const, customerId, callId: '', args: [activeflowId, options] };
    await this.#sender.send(owner, req, `activeflow ${activeflowId}`);
  }
}
