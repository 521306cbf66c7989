import type { Conference, ConferenceService } from '../../conferences/index.ts';
import type { RecordingService } from '../../recordings/index.ts';
import { InvalidStateError, NIL_UUID, silentLogger, systemClock } from '../../shared/index.ts';
import type { Clock, Logger } from '../../shared/index.ts';
import type { ConferenceMixer } from './conference-mixer.ts';
import { MixRecordingSource } from './recording-adapter.ts';

/** What ConferenceRecording is built from. */
export interface ConferenceRecordingOptions {
  recordings: Pick<RecordingService, 'startRecording' | 'stopRecording' | 'isLive'>;
  mixer: Pick<ConferenceMixer, 'attachRecording'>;
  conferences: Pick<ConferenceService, 'setRecording' | 'on'>;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Recording of a conference's mix (`POST /conferences/{id}/recording_start|recording_stop`): one
 * `mix` recording at a time, fed by the conference's mixer; it stops when the conference ends.
 */
export class ConferenceRecording {
  readonly #o: ConferenceRecordingOptions;
  readonly #logger: Logger;

  constructor(options: ConferenceRecordingOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ module: 'conference-recording' });
    options.conferences.on('terminated', (conference) => {
      if (conference.recording_id === NIL_UUID || !options.recordings.isLive(conference.recording_id)) return;
      options.recordings
        .stopRecording(conference.recording_id)
        .catch((err: unknown) => this.#logger.error({ err }, 'conference recording did not stop'));
    });
  }

  /** Starts recording the mix; refused when the conference has ended or records already. */
  async start(conference: Conference): Promise<Conference> {
    if (conference.status !== 'progressing')
      throw new InvalidStateError(`conference ${conference.id} has ended`, 'CONFERENCE_NOT_PROGRESSING');
    if (conference.recording_id !== NIL_UUID && this.#o.recordings.isLive(conference.recording_id)) {
      throw new InvalidStateError(`conference ${conference.id} is recording already`, 'CONFERENCE_ALREADY_RECORDING');
    }
    const source = new MixRecordingSource((sink) => this.#o.mixer.attachRecording(conference.id, sink), {
      clock: this.#o.clock ?? systemClock,
    });
    const recording = await this.#o.recordings.startRecording({
      reference_type: 'conference',
      reference_id: conference.id,
      customer_id: conference.customer_id,
      source,
    });
    return this.#o.conferences.setRecording(conference.id, recording.id);
  }

  /** Stops the running recording of the mix; refused when there is none. */
  async stop(conference: Conference): Promise<Conference> {
    if (conference.recording_id === NIL_UUID || !this.#o.recordings.isLive(conference.recording_id)) {
      throw new InvalidStateError(`conference ${conference.id} is not recording`, 'CONFERENCE_NOT_RECORDING');
    }
    await this.#o.recordings.stopRecording(conference.recording_id);
    return this.#o.conferences.setRecording(conference.id, NIL_UUID);
  }
}
