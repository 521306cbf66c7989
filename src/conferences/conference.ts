import { InvalidStateError } from '../shared/index.ts';

/** `conference`: persists until deleted or its timeout; `connect`: ends when one party is left. */
export type ConferenceType = 'conference' | 'connect';

/** Every conference type, in the spec's order. */
export const CONFERENCE_TYPES = ['conference', 'connect'] as const satisfies readonly ConferenceType[];

/** Lifecycle of a conference. */
export type ConferenceStatus = 'progressing' | 'terminating' | 'terminated';

/** The edges a conference may take. */
export const CONFERENCE_STATUS_TRANSITIONS = {
  progressing: ['terminating'],
  terminating: ['terminated'],
  terminated: [],
} as const satisfies Record<ConferenceStatus, readonly ConferenceStatus[]>;

/** Lifecycle of one call's membership in a conference. */
export type ConferencecallStatus = 'joining' | 'joined' | 'leaving' | 'leaved';

/** The edges a conferencecall may take (a join that fails goes from `joining` to `leaved`). */
export const CONFERENCECALL_STATUS_TRANSITIONS = {
  joining: ['joined', 'leaving', 'leaved'],
  joined: ['leaving'],
  leaving: ['leaved'],
  leaved: [],
} as const satisfies Record<ConferencecallStatus, readonly ConferencecallStatus[]>;

/** The Conference object exactly as the API shows it (docs/media.md "Conferences"); unset ids are the nil UUID. */
export interface Conference {
  id: string;
  customer_id: string;
  type: ConferenceType;
  status: ConferenceStatus;
  name: string;
  detail: string;
  /** The client's own key/value data, stored and echoed; absent on conferences made before it. */
  data?: Record<string, unknown>;
  /** Seconds after creation at which the conference ends by itself; 0 = never. */
  timeout: number;
  pre_flow_id: string;
  post_flow_id: string;
  /** The conferencecalls in the conference now (joining or joined). */
  conferencecall_ids: string[];
  recording_id: string;
  recording_ids: string[];
  tm_create: string;
  tm_update: string;
  /** Absent until the conference is terminated. */
  tm_end?: string;
}

/** One call's membership in a conference, as the API shows it. */
export interface Conferencecall {
  id: string;
  customer_id: string;
  conference_id: string;
  /** What sits in the conference; calls only for now. */
  reference_type: 'call';
  reference_id: string;
  /** The activeflow whose `conference_join` made it (docs/media.md "Conferences"); the nil UUID otherwise, absent on older rows. */
  activeflow_id?: string;
  status: ConferencecallStatus;
  /** True while nobody in the conference hears this participant. */
  muted: boolean;
  tm_create: string;
  tm_update: string;
}

/** Event types of the conference lifecycle (docs/events.md). */
export type ConferenceEventType = 'conference_created' | 'conference_updated' | 'conference_deleted';

/** Event types of conferencecalls (docs/events.md). */
export type ConferencecallEventType = 'conferencecall_joined' | 'conferencecall_leaved';

/** One event with the resource as GET returns it. */
export type ConferenceEvent =
  | { type: ConferenceEventType; conference: Conference }
  | { type: ConferencecallEventType; conferencecall: Conferencecall };

/** Row changes and the events describing them, written together. */
export interface ConferenceChange {
  conference?: Conference;
  conferencecall?: Conferencecall;
  events: readonly ConferenceEvent[];
}

/** Moves a conference along an allowed edge, stamping `tm_update` (and `tm_end` when terminated). */
export function moveConference(conference: Conference, to: ConferenceStatus, nowIso: string): void {
  const allowed: readonly ConferenceStatus[] = CONFERENCE_STATUS_TRANSITIONS[conference.status];
  if (!allowed.includes(to)) {
    throw new InvalidStateError(
      `conference ${conference.id.slice(0, 8)}: ${conference.status} -> ${to} refused`,
      'CONFERENCE_STATE_INVALID',
    );
  }
  conference.status = to;
  conference.tm_update = nowIso;
  if (to === 'terminated') conference.tm_end = nowIso;
}

/** Moves a conferencecall along an allowed edge, stamping `tm_update`. */
export function moveConferencecall(cc: Conferencecall, to: ConferencecallStatus, nowIso: string): void {
  const allowed: readonly ConferencecallStatus[] = CONFERENCECALL_STATUS_TRANSITIONS[cc.status];
  if (!allowed.includes(to)) {
    throw new InvalidStateError(
      `conferencecall ${cc.id.slice(0, 8)}: ${cc.status} -> ${to} refused`,
      'CONFERENCECALL_STATE_INVALID',
    );
  }
  cc.status = to;
  cc.tm_update = nowIso;
}

/** A deep copy, safe to hand outside the domain. */
export function snapshot<T extends Conference | Conferencecall>(value: T): T {
  return structuredClone(value);
}
