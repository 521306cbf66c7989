// ConferenceService: this process's conferences (docs/media.md "Conferences"): create, update,
// delete and terminate, a call's join until it leaves, kick, the timeout and the end of a room, and
// the reconciliation of a dead node's rooms. The participants' changes are conference-members.ts.
import { InvalidStateError, NIL_UUID, NotFoundError, TypedEmitter, newId, silentLogger } from '../shared/index.ts';
import { isoNow, type Clock, type Logger } from '../shared/index.ts';
import { moveConference, snapshot } from './conference.ts';
import type { Conference, Conferencecall } from './conference.ts';
import { ConferenceMembers, inScope } from './conference-members.ts';
import { applyPatch, buildConference } from './conference-requests.ts';
import type { ConferencePatch, CreateConferenceRequest } from './conference-requests.ts';
import { LiveConference } from './live-conference.ts';
import type { Member } from './live-conference.ts';
import { endStoredConference } from './conference-reconcile.ts';
import type { ConferenceCallsPort, ConferenceMediaPort, ConferenceScope, ConferenceStorePort } from './ports.ts';

/** What ConferenceService is built from (main.ts passes the adapters). */
export interface ConferenceServiceDeps {
  store: ConferenceStorePort;
  media: ConferenceMediaPort;
  calls: ConferenceCallsPort;
  clock: Clock;
  logger?: Logger;
}

/** Events of the ConferenceService (after the change is stored). */
export type ConferenceServiceEvents = {
  /** The conference reached `terminated` (deleted, timed out, or a `connect` conference down to one party). */
  terminated: [conference: Conference];
};

function conferenceNotFound(id: string): NotFoundError {
  return new NotFoundError('CONFERENCE_NOT_FOUND', `conference ${id} not found`);
}

/**
 * Conferences and their participants (docs/media.md "Conferences"). A progressing conference lives in
 * memory with one queue for its changes; every change is stored with its events. Calls join through
 * {@link join} (the flows module's ConferencePort), which resolves when the call leaves: kicked,
 * the conference ended (deleted, timed out, or a `connect` conference down to one party).
 */
export class ConferenceService extends TypedEmitter<ConferenceServiceEvents> {
  readonly #d: ConferenceServiceDeps;
  readonly #logger: Logger;
  readonly #live = new Map<string, LiveConference>();
  readonly #members: ConferenceMembers;

  constructor(deps: ConferenceServiceDeps) {
    super();
    this.#d = deps;
    this.#logger = (deps.logger ?? silentLogger).child({ module: 'conferences' });
    this.#members = new ConferenceMembers({ ...deps, logger: this.#logger });
  }

  /** Creates a progressing conference (`conference_created`). */
  async create(request: CreateConferenceRequest): Promise<Conference> {
    const conference = buildConference(request, newId(), this.#now());
    await this.#d.store.save({
      conference,
      events: [{ type: 'conference_created', conference: snapshot(conference) }],
    });
    this.#adopt(conference);
    return snapshot(conference);
  }

  /** The conference as it is now, within the scope; undefined when missing, deleted or foreign. */
  async get(id: string, scope: ConferenceScope = {}): Promise<Conference | undefined> {
    const live = this.#live.get(id);
    if (live) return inScope(live.conference.customer_id, scope) ? snapshot(live.conference) : undefined;
    return this.#d.store.getConference(id, scope);
  }

  /** Changes name, detail, timeout or the flow ids (`conference_updated`); a new timeout counts from creation. */
  async update(id: string, scope: ConferenceScope, patch: ConferencePatch): Promise<Conference> {
    const updated = await this.#mutate(id, scope, (c) => applyPatch(c, patch, this.#now()));
    const live = this.#live.get(id);
    if (live && patch.timeout !== undefined) this.#arm(live);
    return updated;
  }

  /** Records which recording of the mix runs now (nil UUID: none); a new one joins `recording_ids`. */
  setRecording(id: string, recordingId: string): Promise<Conference> {
    return this.#mutate(id, {}, (c) => {
      c.recording_id = recordingId;
      if (recordingId !== NIL_UUID && !c.recording_ids.includes(recordingId)) c.recording_ids.push(recordingId);
      c.tm_update = this.#now();
    });
  }

  /** Ends the conference (everyone is kicked, their flows continue), then hides it (`conference_deleted`). */
  async delete(id: string, scope: ConferenceScope = {}): Promise<Conference> {
    const live = await this.#load(id, scope);
    if (live) await this.#terminate(live);
    const deleted = await this.#d.store.deleteConference(id, scope);
    if (!deleted) throw conferenceNotFound(id);
    return deleted;
  }

  /** Ends a progressing conference without deleting it; fine when it has ended already. */
  async terminate(id: string, scope: ConferenceScope = {}): Promise<Conference> {
    const live = await this.#load(id, scope);
    if (live) await this.#terminate(live);
    const stored = await this.#d.store.getConference(id, scope);
    if (!stored) throw conferenceNotFound(id);
    return stored;
  }

  /**
   * The flows a call joining the customer's conference runs before joining and after leaving;
   * undefined when the conference is missing, foreign or not progressing.
   */
  async flowsOf(
    customerId: string,
    conferenceId: string,
  ): Promise<{ pre_flow_id: string; post_flow_id: string } | undefined> {
    const conference = await this.get(conferenceId, { customerId });
    if (conference?.status !== 'progressing') return undefined;
    return { pre_flow_id: conference.pre_flow_id, post_flow_id: conference.post_flow_id };
  }

  /**
   * Puts the call into the conference of its own customer; resolves when it leaves (kick,
   * conference end). Aborting `signal` takes it out and rejects with the signal's reason. The
   * conferencecall shows `joiner.activeflowId`, the activeflow that asked (nil UUID: none).
   */
  async join(
    callId: string,
    conferenceId: string,
    signal: AbortSignal,
    joiner: { activeflowId?: string } = {},
  ): Promise<void> {
    signal.throwIfAborted();
    const call = await this.#d.calls.get(callId);
    if (!call) throw new NotFoundError('CALL_NOT_FOUND', `call ${callId} not found`);
    const live = await this.#load(conferenceId, { customerId: call.customer_id });
    if (!live) {
      if (await this.#d.store.getConference(conferenceId, { customerId: call.customer_id })) {
        throw new InvalidStateError(`conference ${conferenceId} has ended`, 'CONFERENCE_NOT_PROGRESSING');
      }
      throw conferenceNotFound(conferenceId);
    }
    const member = await live.queue.run(() => this.#members.admit(live, callId, joiner.activeflowId ?? NIL_UUID));
    try {
      await this.#d.calls
        .setConference(callId, conferenceId)
        .catch((err: unknown) => this.#logger.debug({ err, callId }, 'call not told of its conference'));
      await member.waitForLeave(signal);
    } finally {
      await this.#depart(live, member);
    }
    signal.throwIfAborted();
  }

  /** Takes a participant out (its flow continues); resolves with the `leaved` conferencecall. */
  async kick(conferencecallId: string, scope: ConferenceScope = {}): Promise<Conferencecall> {
    const member = this.#members.member(conferencecallId, scope);
    if (!member) return this.#members.stored(conferencecallId, scope);
    member.requestLeave();
    await member.done;
    return snapshot(member.cc);
  }

  /** Mutes (nobody hears it) or unmutes a joined participant. */
  setMuted(conferencecallId: string, scope: ConferenceScope, muted: boolean): Promise<Conferencecall> {
    return this.#members.setMuted(conferencecallId, scope, muted);
  }

  /** The conferencecall as it is now, within the scope. */
  async getConferencecall(id: string, scope: ConferenceScope = {}): Promise<Conferencecall | undefined> {
    const member = this.#members.member(id, scope);
    return member ? snapshot(member.cc) : this.#d.store.getConferencecall(id, scope);
  }

  /**
   * The rooms of node `nodeId`, which is gone, end (docs/cluster.md "Node health"): each stored
   * conference of that node that has not terminated closes as a room does, stamped at `atMs` (the
   * node's last heartbeat) or its own last change when later; `terminated` is emitted for each.
   */
  async reconcile(options: { nodeId: string; atMs: number }): Promise<Conference[]> {
    const ended: Conference[] = [];
    for (const stored of await this.#d.store.listLive({ nodeId: options.nodeId })) {
      const live = this.#live.get(stored.id);
      let conference: Conference | undefined;
      if (live) {
        await this.#terminate(live);
        conference = snapshot(live.conference);
      } else {
        const atMs = Math.max(options.atMs, Date.parse(stored.tm_update) || 0);
        const deps = { store: this.#d.store, calls: this.#d.calls, logger: this.#logger };
        conference = await endStoredConference(deps, stored, new Date(atMs).toISOString());
        this.emit('terminated', conference);
      }
      ended.push(conference);
    }
    return ended;
  }

  /** Stops the timeout timers (shutdown); members leave as their calls end. */
  close(): void {
    for (const live of this.#live.values()) this.#d.clock.clearTimeout(live.timer);
  }

  async #depart(live: LiveConference, member: Member): Promise<void> {
    await this.#members.leave(live, member);
    await this.#d.calls
      .setConference(member.cc.reference_id, NIL_UUID)
      .catch((err: unknown) => this.#logger.debug({ err }, 'call not told it left'));
    // docs/media.md: a `connect` conference ends when one party is left.
    if (live.conference.type === 'connect' && live.conference.status === 'progressing' && live.members.size <= 1) {
      this.#terminate(live).catch((err: unknown) => this.#logger.error({ err }, 'connect conference did not end'));
    }
  }

  #terminate(live: LiveConference): Promise<void> {
    live.ending ??= this.#end(live);
    return live.ending;
  }

  async #end(live: LiveConference): Promise<void> {
    this.#d.clock.clearTimeout(live.timer);
    await live.queue.run(async () => {
      moveConference(live.conference, 'terminating', this.#now());
      await this.#saveConference(live);
    });
    const members = [...live.members.values()];
    for (const m of members) m.requestLeave();
    await Promise.all(members.map((m) => m.done));
    await live.queue.run(async () => {
      moveConference(live.conference, 'terminated', this.#now());
      await this.#saveConference(live);
    });
    await this.#d.media
      .close(live.conference.id)
      .catch((err: unknown) => this.#logger.warn({ err }, 'closing the mix failed'));
    this.#live.delete(live.conference.id);
    this.emit('terminated', snapshot(live.conference));
  }

  /** Applies `change` to the conference (in its queue when live) and stores it with `conference_updated`. */
  async #mutate(id: string, scope: ConferenceScope, change: (conference: Conference) => void): Promise<Conference> {
    const live = await this.#load(id, scope);
    if (!live) {
      const stored = await this.#d.store.getConference(id, scope);
      if (!stored) throw conferenceNotFound(id);
      change(stored);
      await this.#d.store.save({
        conference: stored,
        events: [{ type: 'conference_updated', conference: snapshot(stored) }],
      });
      return stored;
    }
    return live.queue.run(async () => {
      change(live.conference);
      await this.#saveConference(live);
      return snapshot(live.conference);
    });
  }

  /** The live conference, loading a progressing stored one into memory (after a restart). */
  async #load(id: string, scope: ConferenceScope): Promise<LiveConference | undefined> {
    let live = this.#live.get(id);
    if (!live) {
      const stored = await this.#d.store.getConference(id, scope);
      if (stored?.status !== 'progressing') return undefined;
      live = this.#live.get(id) ?? this.#adopt(stored);
    }
    return inScope(live.conference.customer_id, scope) && live.conference.status !== 'terminated' ? live : undefined;
  }

  #adopt(conference: Conference): LiveConference {
    const live = new LiveConference(conference);
    this.#live.set(conference.id, live);
    this.#arm(live);
    return live;
  }

  #arm(live: LiveConference): void {
    this.#d.clock.clearTimeout(live.timer);
    live.timer = undefined;
    const { timeout, tm_create: created } = live.conference;
    if (timeout <= 0) return;
    const dueInMs = Math.max(0, Date.parse(created) + timeout * 1000 - this.#d.clock.now());
    live.timer = this.#d.clock.setTimeout(() => {
      this.#terminate(live).catch((err: unknown) => this.#logger.error({ err }, 'conference timeout did not end it'));
    }, dueInMs);
  }

  async #saveConference(live: LiveConference): Promise<void> {
    await this.#d.store.save({
      conference: live.conference,
      events: [{ type: 'conference_updated', conference: snapshot(live.conference) }],
    });
  }

  #now(): string {
    return isoNow(this.#d.clock);
  }
}
