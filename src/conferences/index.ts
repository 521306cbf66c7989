export {
  CONFERENCE_STATUS_TRANSITIONS,
  CONFERENCE_TYPES,
  CONFERENCECALL_STATUS_TRANSITIONS,
  moveConference,
  moveConferencecall,
  snapshot,
} from './conference.ts';
export type {
  Conference,
  ConferenceChange,
  ConferenceEvent,
  ConferenceEventType,
  ConferenceStatus,
  ConferenceType,
  Conferencecall,
  ConferencecallEventType,
  ConferencecallStatus,
} from './conference.ts';
export { MAX_CONFERENCE_TIMEOUT_SEC, applyPatch, buildConference } from './conference-requests.ts';
export type { ConferencePatch, CreateConferenceRequest } from './conference-requests.ts';
export { ConferenceService } from './conference-service.ts';
export type { ConferenceServiceDeps, ConferenceServiceEvents } from './conference-service.ts';
export type * from './ports.ts';
