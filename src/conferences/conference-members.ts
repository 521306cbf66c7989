// The participants of this process's live conferences (docs/media.md "Conferences"): a call's
// admission into the mix, its leaving, muting, and the lookup of a conferencecall by id.
// ConferenceService (conference-service.ts) decides when; each change here is stored with its events.
import { InvalidStateError, NotFoundError, isoNow, newId } from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { moveConferencecall, snapshot } from './conference.ts';
import type { Conferencecall } from './conference.ts';
import { Member } from './live-conference.ts';
import type { LiveConference } from './live-conference.ts';
import type { ConferenceMediaPort, ConferenceScope, ConferenceStorePort } from './ports.ts';

/** True when a resource of `customerId` is visible in `scope`. */
export function inScope(customerId: string, scope: ConferenceScope): boolean {
  return scope.customerId === undefined || scope.customerId === customerId;
}

/** What ConferenceMembers is built from. */
export interface ConferenceMembersDeps {
  store: ConferenceStorePort;
  media: ConferenceMediaPort;
  clock: Clock;
  logger: Logger;
}

/** The members of every live conference, by conferencecall id. */
export class ConferenceMembers {
  readonly #d: ConferenceMembersDeps;
  readonly #liveOfMember = new Map<string, LiveConference>();

  constructor(deps: ConferenceMembersDeps) {
    this.#d = deps;
  }

  /** Puts `callId` into the mix of the progressing `live` conference (run on its queue); its conferencecall is `joined`. */
  async admit(live: LiveConference, callId: string, activeflowId: string): Promise<Member> {
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

  /** Takes `member` out of the mix on the conference's queue (`leaved`); it is marked done even when that fails. */
  async leave(live: LiveConference, member: Member): Promise<void> {
    const cc = member.cc;
    try {
      await live.queue.run(async () => {
        moveConferencecall(cc, 'leaving', this.#now());
        await this.#d.media
          .leave(live.conference.id, cc.id)
          .catch((err: unknown) => this.#d.logger.warn({ err }, 'leaving the mix failed'));
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
  }

  /** Mutes (nobody hears it) or unmutes a joined participant. */
  async setMuted(conferencecallId: string, scope: ConferenceScope, muted: boolean): Promise<Conferencecall> {
    const member = this.member(conferencecallId, scope);
    const live = this.#liveOfMember.get(conferencecallId);
    if (!member || !live) {
      const stored = await this.stored(conferencecallId, scope);
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

  /** The live member within the scope, or undefined. */
  member(conferencecallId: string, scope: ConferenceScope): Member | undefined {
    const member = this.#liveOfMember.get(conferencecallId)?.members.get(conferencecallId);
    return member && inScope(member.cc.customer_id, scope) ? member : undefined;
  }

  /** The stored conferencecall within the scope; 404 `CONFERENCECALL_NOT_FOUND` when there is none. */
  async stored(id: string, scope: ConferenceScope): Promise<Conferencecall> {
    const stored = await this.#d.store.getConferencecall(id, scope);
    if (!stored) throw new NotFoundError('CONFERENCECALL_NOT_FOUND', `conferencecall ${id} not found`);
    return stored;
  }

  #now(): string {
    return isoNow(this.#d.clock);
  }
}
