/**
 * Conference participants' commands in a cluster (docs/cluster.md "Any node serves the whole API"):
 * updating and deleting a conference, and kicking and muting a conferencecall, run on the node that
 * holds the conference's room; creating and reading run here as on one node.
 */
import type {
  Conference,
  ConferencePatch,
  ConferenceScope,
  ConferenceService,
  Conferencecall,
  CreateConferenceRequest,
} from '../conferences/index.ts';
import { CommandSender } from './command-sender.ts';
import type { CommandLink, OwnerLookup } from './command-sender.ts';

export interface ClusterConferencesDeps extends CommandLink {
  local: ConferenceService;
  /** The owner of a conference: the node of its room. */
  conferences: OwnerLookup;
}

/** `ConferencesApiDeps.service` of `api/routes/conferences-deps.ts` in a cluster. */
export class ClusterConferences {
  readonly #local: ConferenceService;
  readonly #owners: OwnerLookup;
  readonly #sender: CommandSender;

  constructor(deps: ClusterConferencesDeps) {
    this.#local = deps.local;
    this.#owners = deps.conferences;
    this.#sender = new CommandSender(deps);
  }

  create(request: CreateConferenceRequest): Promise<Conference> {
    return this.#local.create(request);
  }
  get(id: string, scope?: ConferenceScope): Promise<Conference | undefined> {
    return this.#local.get(id, scope);
  }
  async update(id: string, scope: ConferenceScope, patch: ConferencePatch): Promise<Conference> {
    const owner = await this.#roomOwner(id);
    if (owner === undefined || scope.customerId === undefined) return this.#local.update(id, scope, patch);
    const req = { op: 'conferenceUpdate' as const, customerId: scope.customerId, callId: '', args: [id, patch] };
    return (await this.#sender.send(owner, req, `conference ${id}`)) as Conference;
  }
  async delete(id: string, scope: ConferenceScope = {}): Promise<Conference> {
    const owner = await this.#roomOwner(id);
    if (owner === undefined || scope.customerId === undefined) return this.#local.delete(id, scope);
    const req = { op: 'conferenceDelete' as const, customerId: scope.customerId, callId: '', args: [id] };
    return (await this.#sender.send(owner, req, `conference ${id}`)) as Conference;
  }
  getConferencecall(id: string, scope?: ConferenceScope): Promise<Conferencecall | undefined> {
    return this.#local.getConferencecall(id, scope);
  }

  async kick(conferencecallId: string, scope: ConferenceScope = {}): Promise<Conferencecall> {
    const owner = await this.#ownerOf(conferencecallId, scope);
    if (owner === undefined || scope.customerId === undefined) return this.#local.kick(conferencecallId, scope);
    const req = {
      op: 'conferencecallKick' as const,
      customerId: scope.customerId,
      callId: '',
      args: [conferencecallId],
    };
    return (await this.#sender.send(owner, req, `conferencecall ${conferencecallId}`)) as Conferencecall;
  }

  async setMuted(conferencecallId: string, scope: ConferenceScope, muted: boolean): Promise<Conferencecall> {
    const owner = await this.#ownerOf(conferencecallId, scope);
    if (owner === undefined || scope.customerId === undefined)
      return this.#local.setMuted(conferencecallId, scope, muted);
    const req = {
      op: 'conferencecallMute' as const,
      customerId: scope.customerId,
      callId: '',
      args: [conferencecallId, muted],
    };
    return (await this.#sender.send(owner, req, `conferencecall ${conferencecallId}`)) as Conferencecall;
  }

  /** The node of the conference's room when that is another node. */
  async #roomOwner(conferenceId: string): Promise<string | undefined> {
    const owner = await this.#owners.ownerOf(conferenceId);
    return this.#sender.isRemote(owner) ? owner : undefined;
  }

  /** The node of the room of the conferencecall's conference when that is another node. */
  async #ownerOf(conferencecallId: string, scope: ConferenceScope): Promise<string | undefined> {
    const cc = await this.#local.getConferencecall(conferencecallId, scope);
    if (!cc) return undefined;
    const owner = await this.#owners.ownerOf(cc.conference_id);
    return this.#sender.isRemote(owner) ? owner : undefined;
  }
}
