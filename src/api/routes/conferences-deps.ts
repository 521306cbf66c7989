import type { Conference, ConferenceService, Conferencecall } from '../../conferences/index.ts';
import type { ConferenceListOptions, Page } from '../../store/index.ts';

/** Stored conferences and conferencecalls as the API lists them (the telephony ConferenceStoreAdapter implements this). */
export interface ConferenceRecords {
  listConferences(options: ConferenceListOptions): Promise<Page<Conference>>;
  listConferencecalls(options: ConferenceListOptions): Promise<Page<Conferencecall>>;
}

/** Recording of a conference's mix; without it the recording endpoints answer 501. */
export interface ConferenceRecordingControl {
  start(conference: Conference): Promise<Conference>;
  stop(conference: Conference): Promise<Conference>;
}

/** What `/conferences` and `/conferencecalls` need, passed in by main.ts as `ApiDeps.conferences`. */
export interface ConferencesApiDeps {
  service: Pick<ConferenceService, 'create' | 'get' | 'update' | 'delete' | 'kick' | 'setMuted' | 'getConferencecall'>;
  records: ConferenceRecords;
  recording?: ConferenceRecordingControl;
}
