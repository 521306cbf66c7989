import type { Conference, ConferenceChange, ConferenceEvent, Conferencecall } from '../conference.ts';
import type { ConferenceCallsPort, ConferenceMediaPort, ConferenceScope, ConferenceStorePort } from '../ports.ts';

function inScope(customerId: string, scope: ConferenceScope = {}): boolean {
  return scope.customerId === undefined || scope.customerId === customerId;
}

/** A ConferenceStorePort in memory that keeps every event in order. */
export class MemoryConferenceStore implements ConferenceStorePort {
  readonly conferences = new Map<string, Conference & { tm_delete?: string }>();
  readonly conferencecalls = new Map<string, Conferencecall>();
  readonly events: ConferenceEvent[] = [];
  /** The node stamped on conferences saved from now on (a store stamps its own node id); set by tests. */
  nodeId = '';
  /** The node of each conference, stamped when first saved and never changed. */
  readonly nodeOf = new Map<string, string>();

  async save(change: ConferenceChange): Promise<void> {
    if (change.conference && !this.nodeOf.has(change.conference.id)) this.nodeOf.set(change.conference.id, this.nodeId);
    if (change.conference) this.conferences.set(change.conference.id, structuredClone(change.conference));
    if (change.conferencecall)
      this.conferencecalls.set(change.conferencecall.id, structuredClone(change.conferencecall));
    this.events.push(...structuredClone(change.events));
  }

  async getConference(id: string, scope?: ConferenceScope): Promise<Conference | undefined> {
    const c = this.conferences.get(id);
    return c && c.tm_delete === undefined && inScope(c.customer_id, scope) ? structuredClone(c) : undefined;
  }

  async getConferencecall(id: string, scope?: ConferenceScope): Promise<Conferencecall | undefined> {
    const cc = this.conferencecalls.get(id);
    return cc && inScope(cc.customer_id, scope) ? structuredClone(cc) : undefined;
  }

  async deleteConference(id: string, scope?: ConferenceScope): Promise<Conference | undefined> {
    const c = await this.getConference(id, scope);
    if (!c) return undefined;
    const deleted = { ...c, tm_delete: new Date().toISOString() };
    this.conferences.set(id, deleted);
    this.events.push({ type: 'conference_deleted', conference: deleted });
    return deleted;
  }

  async listLive(filter: { nodeId?: string } = {}): Promise<Conference[]> {
    return [...this.conferences.values()]
      .filter((c) => c.tm_delete === undefined && c.status !== 'terminated')
      .filter((c) => filter.nodeId === undefined || this.nodeOf.get(c.id) === filter.nodeId)
      .map((c) => structuredClone(c));
  }

  /** Event types in order, optionally only those about one resource id. */
  types(resourceId?: string): string[] {
    return this.events
      .filter(
        (e) => resourceId === undefined || ('conference' in e ? e.conference.id : e.conferencecall.id) === resourceId,
      )
      .map((e) => e.type);
  }
}

/** A ConferenceMediaPort that records who is in which mix and who is muted. */
export class FakeConferenceMedia implements ConferenceMediaPort {
  readonly rooms = new Map<string, Map<string, { callId: string; muted: boolean }>>();
  readonly closed: string[] = [];
  failJoin: Error | undefined;

  async join(conferenceId: string, participantId: string, callId: string): Promise<void> {
    if (this.failJoin) throw this.failJoin;
    const room = this.rooms.get(conferenceId) ?? new Map<string, { callId: string; muted: boolean }>();
    room.set(participantId, { callId, muted: false });
    this.rooms.set(conferenceId, room);
  }

  async leave(conferenceId: string, participantId: string): Promise<void> {
    this.rooms.get(conferenceId)?.delete(participantId);
  }

  async setMuted(conferenceId: string, participantId: string, muted: boolean): Promise<void> {
    const p = this.rooms.get(conferenceId)?.get(participantId);
    if (p) p.muted = muted;
  }

  async close(conferenceId: string): Promise<void> {
    this.rooms.delete(conferenceId);
    this.closed.push(conferenceId);
  }

  /** Call ids in a conference's mix. */
  callsIn(conferenceId: string): string[] {
    return [...(this.rooms.get(conferenceId)?.values() ?? [])].map((p) => p.callId);
  }
}

/** A ConferenceCallsPort over a map of calls; records every setConference. */
export class FakeConferenceCalls implements ConferenceCallsPort {
  readonly calls = new Map<string, { id: string; customer_id: string; status: 'progressing' }>();
  readonly conferenceOf = new Map<string, string>();

  add(id: string, customerId: string): string {
    this.calls.set(id, { id, customer_id: customerId, status: 'progressing' });
    return id;
  }

  async get(callId: string): Promise<{ id: string; customer_id: string; status: 'progressing' } | undefined> {
    return this.calls.get(callId);
  }

  async setConference(callId: string, conferenceId: string): Promise<void> {
    this.conferenceOf.set(callId, conferenceId);
  }
}
