import type { Call } from '../calls/index.ts';
import type { Conference, ConferenceChange, Conferencecall } from './conference.ts';

/** Restricts a lookup to one customer (absent: any). */
export interface ConferenceScope {
  customerId?: string;
}

/** Persistence of conferences and conferencecalls with their events (the outbox), one transaction per change. */
export interface ConferenceStorePort {
  /** Writes the rows and, in order, the events in ONE transaction; resolves once committed. */
  save(change: ConferenceChange): Promise<void>;
  /** A stored, not deleted conference within the scope. */
  getConference(id: string, scope?: ConferenceScope): Promise<Conference | undefined>;
  /** A stored conferencecall within the scope. */
  getConferencecall(id: string, scope?: ConferenceScope): Promise<Conferencecall | undefined>;
  /** Hides the conference and publishes `conference_deleted` in one transaction; undefined when not found. */
  deleteConference(id: string, scope?: ConferenceScope): Promise<Conference | undefined>;
  /**
   * Every stored, not deleted conference that is not `terminated`; with `nodeId`, only the rooms that
   * node holds (a dead node's rooms end, docs/cluster.md "Node health").
   */
  listLive(filter?: { nodeId?: string }): Promise<Conference[]>;
}

/** The mix of each conference: a participant per conferencecall, fed by its call's audio. */
export interface ConferenceMediaPort {
  /** Adds the call's audio to the conference mix and plays it the mix of everyone else. */
  join(conferenceId: string, participantId: string, callId: string): Promise<void>;
  /** Takes the participant out of the mix; unknown ones are fine. */
  leave(conferenceId: string, participantId: string): Promise<void>;
  /** While muted, nobody in the conference hears the participant. */
  setMuted(conferenceId: string, participantId: string, muted: boolean): Promise<void>;
  /** Ends the conference's mix (every participant leaves). */
  close(conferenceId: string): Promise<void>;
}

/** The calls a conference needs to know about. */
export interface ConferenceCallsPort {
  /** The call as it is now, or undefined. */
  get(callId: string): Promise<Pick<Call, 'id' | 'customer_id' | 'status'> | undefined>;
  /** Reports the conference the call sits in now (nil UUID when it left); fine when the call has ended. */
  setConference(callId: string, conferenceId: string): Promise<void>;
}
