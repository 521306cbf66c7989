import { InvalidStateError, NIL_UUID, NotFoundError, TypedEmitter, newId, silentLogger } from '../shared/index.ts';
import { isoNow, type Clock, type Logger } from '../shared/index.ts';
import { moveConference, moveConferencecall, snapshot } from './conference.ts';
import type { Conference, Conferencecall } from './conference.ts';
import { applyPatch, buildConference } from './conference-requests.ts';
import type { ConferencePatch, CreateConferenceRequest } from './conference-requests.ts';
import { LiveConference, Member } from './live-conference.ts';
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

function conferencecallNotFound(id: string): NotFoundError {
  return new NotFoundError('CONFERENCECALL_NOT_FOUND', `conferencecall ${id} not found`);
}

function inScope(customerId: string, scope: ConferenceScope): boolean {
  return scope.customerId === undefined || scope.customerId === customerId;
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
  readonly #liveOfMember = new Map<string, LiveConference>();

  constructor(deps: ConferenceServiceDeps) {
    super();
    this.#d = deps;
    this.#logger = (deps.logger ?? silentLogger).child({ module: 'conferences' });
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
    const member = await live.queue.run(() => this.#admit(live, callId, joiner.activeflowId ?? NIL_UUID));
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
    const member = this.#member(conferencecallId, scope);
    if (!member) return this.#storedConferencecall(conferencecallId, scope);
    member.requestLeave();
    await member.done;
    return snapshot(member.cc);
  }

  /** Mutes (nobody hears it) or unmutes a joined participant. */
  async setMuted(conferencecallId: string, scope: ConferenceScope, muted: boolean): Promise<Conferencecall> {
    const member = this.#member(conferencecallId, scope);
    const live = this.#liveOfMember.get(conferencecallId);
    if (!member || !live) {
      const stored = await this.#storedConferencecall(conferencecallId, scope);
      throw new InvalidStateError(`conferencecall ${stored.id} is ${stored.status}`, 'CONFERENCECALL_NOT_JOINED');
    }
    return live.queue.run(async () => {
      if (member.cc.status !== 'joined')
        throw new InvalidStateError(
          `conferencecall ${member.cc.id} is ${member.cc.status}`,
          'CONFERENCECALL_NOT_JOINED',
        );
      await this.#d.media.setMuted(live.conference.id, member.cc.id, muted);
      member.cc.muted = muted;
      member.cc.tm_update = this.#now();
      await this.#d.store.save({ conferencecall: member.cc, events: [] });
      return snapshot(member.cc);
    });
  }

  /** The conferencecall as it is now, within the scope. */
  async getConferencecall(id: string, scope: ConferenceScope = {}): Promise<Conferencecall | undefined> {
    const member = this.#member(id, scope);
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

  async #admit(live: LiveConference, callId: string, activeflowId: string): Promise<Member> {
    const conference = live.conference;
    if (conference.status !== 'progressing')
      throw new InvalidStateError(`conference ${conference.id} has ended`, 'CONFERENCE_NOT_PROGRESSING');
    const now = this.#now();
    const cc: Conferencecall = {
      id: newId(),
      customer_id: conference.customer_id,
      conference_id: conference.id,
      reference_type: 'call',
      reference_id: callId,
      activeflow_id: activeflowId,
      status: 'joining',
      muted: false,
      tm_create: now,
      tm_update: now,
    };
    await this.#d.store.save({ conferencecall: cc, events: [] });
    try {
      await this.#d.media.join(conference.id, cc.id, callId);
    } catch (err) {
      moveConferencecall(cc, 'leaved', this.#now());
      await this.#d.store.save({ conferencecall: cc, events: [] });
      throw err;
    }
    moveConferencecall(cc, 'joined', this.#now());
    conference.conferencecall_ids.push(cc.id);
    conference.tm_update = cc.tm_update;
    const member = new Member(cc);
    live.members.set(cc.id, member);
    this.#liveOfMember.set(cc.id, live);
    await this.#d.store.save({
      conference,
      conferencecall: cc,
      events: [
        { type: 'conferencecall_joined', conferencecall: snapshot(cc) },
        { type: 'conference_updated', conference: snapshot(conference) },
      ],
    });
    return member;
  }

  async #depart(live: LiveConference, member: Member): Promise<void> {
    const cc = member.cc;
    try {
      await live.queue.run(async () => {
        moveConferencecall(cc, 'leaving', this.#now());
        await this.#d.media
          .leave(live.conference.id, cc.id)
          .catch((err: unknown) => this.#logger.warn({ err }, 'leaving the mix failed'));
        moveConferencecall(cc, 'leaved', this.#now());
        const conference = live.conference;
        conference.conferencecall_ids = conference.conferencecall_ids.filter((id) => id !== cc.id);
        conference.tm_update = cc.tm_update;
        live.members.delete(cc.id);
        this.#liveOfMember.delete(cc.id);
        await this.#d.store.save({
          conference,
          conferencecall: cc,
          events: [
            { type: 'conferencecall_leaved', conferencecall: snapshot(cc) },
            { type: 'conference_updated', conference: snapshot(conference) },
          ],
        });
      });
    } finally {
      member.markDone();
    }
    await this.#d.calls
      .setConference(cc.reference_id, NIL_UUID)
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

  #member(conferencecallId: string, scope: ConferenceScope): Member | undefined {
    const member = this.#liveOfMember.get(conferencecallId)?.members.get(conferencecallId);
    return member && inScope(member.cc.customer_id, scope) ? member : undefined;
  }

  async #storedConferencecall(id: string, scope: ConferenceScope): Promise<Conferencecall> {
    const stored = await this.#d.store.getConferencecall(id, scope);
    if (!stored) throw conferencecallNotFound(id);
    return stored;
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
