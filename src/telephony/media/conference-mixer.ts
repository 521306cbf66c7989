import type { ConferenceMediaPort } from '../../conferences/index.ts';
import { FRAME_SAMPLES, Mixer } from '../../media/index.ts';
import type { AudioSink, AudioSource, MediaClock } from '../../media/index.ts';
import { NotFoundError, silentLogger } from '../../shared/index.ts';
import type { Logger } from '../../shared/index.ts';
import type { CallMedia } from './call-media.ts';
import type { PlayOutcome } from '../../endpoint/index.ts';

/**
 * The latest mixed frame of one participant: the mixer writes it, the leg's output reads it, both
 * once per media clock tick. A read first has the mix of the current tick made (`beforeRead`) if
 * it was not yet, so a leg whose sender runs before the mixer's tick listener still plays this
 * tick's mix, not the one before (docs/media.md "Jitter buffer"). Every frame is played once; a
 * tick without a new frame plays silence rather than repeating the old one.
 */
export class FrameSlot implements AudioSink, AudioSource {
  readonly #frame = new Int16Array(FRAME_SAMPLES);
  readonly #beforeRead: (() => void) | undefined;
  #fresh = false;

  constructor(beforeRead?: () => void) {
    this.#beforeRead = beforeRead;
  }

  write(frame: Int16Array): void {
    this.#frame.set(frame.subarray(0, FRAME_SAMPLES));
    this.#fresh = true;
  }

  read(frame: Int16Array): boolean {
    this.#beforeRead?.();
    if (this.#fresh) frame.set(this.#frame.subarray(0, frame.length));
    else frame.fill(0);
    this.#fresh = false;
    return true;
  }
}

/** The legs' media as the mixer needs it (CallMedia fits). */
export type ConferenceLegMedia = Pick<CallMedia, 'legIdForCall' | 'audioOf' | 'playAndWait'>;

/** Options of {@link ConferenceMixer}. */
export interface ConferenceMixerOptions {
  media: ConferenceLegMedia;
  /** The clock every endpoint sends and receives on, so the mix is in step with the legs. */
  mediaClock: MediaClock;
  logger?: Logger;
}

interface Room {
  readonly mixer: Mixer;
  detach: () => void;
  readonly players: Map<string, AbortController>;
  /** The media clock's tickCount when the mix was last made: once per tick, by the listener or the first slot read. */
  mixedAt: number;
}

/**
 * The ConferenceMediaPort over live legs: one {@link Mixer} per conference, ticked by the shared
 * MediaClock; each participant's source is what its leg says (`CallMedia.audioOf`) and its mix
 * (everyone but itself) is played into the leg as a never-ending prompt until it leaves.
 */
export class ConferenceMixer implements ConferenceMediaPort {
  readonly #o: ConferenceMixerOptions;
  readonly #logger: Logger;
  readonly #rooms = new Map<string, Room>();
  readonly #recordingSinks = new Map<string, AudioSink>();

  constructor(options: ConferenceMixerOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ module: 'conference-mixer' });
  }

  /** Conferences that are mixing now. */
  get size(): number {
    return this.#rooms.size;
  }

  async join(conferenceId: string, participantId: string, callId: string): Promise<void> {
    const legId = this.#o.media.legIdForCall(callId);
    if (legId === undefined) throw new NotFoundError('MEDIA_LEG_NOT_FOUND', `call ${callId} has no media leg`);
    const source = this.#o.media.audioOf(legId);
    const room = this.#room(conferenceId);
    const slot = new FrameSlot(() => this.#mix(room));
    room.mixer.join({ id: participantId, source, sink: slot });
    const stop = new AbortController();
    room.players.set(participantId, stop);
    this.#o.media.playAndWait(legId, slot, stop.signal).then(
      (outcome: PlayOutcome) => {
        if (!stop.signal.aborted)
          this.#logger.debug(
            { conference_id: conferenceId, call_id: callId, leg_id: legId, participantId, outcome },
            'conference audio to the leg was replaced',
          );
      },
      (err: unknown) =>
        this.#logger.debug(
          { err, conference_id: conferenceId, call_id: callId, leg_id: legId, participantId },
          'conference audio to the leg ended',
        ),
    );
    if (!this.#o.mediaClock.running) this.#o.mediaClock.start();
  }

  async leave(conferenceId: string, participantId: string): Promise<void> {
    const room = this.#rooms.get(conferenceId);
    if (!room) return;
    room.mixer.leave(participantId);
    room.players.get(participantId)?.abort();
    room.players.delete(participantId);
    if (room.players.size === 0) this.#drop(conferenceId, room);
  }

  async setMuted(conferenceId: string, participantId: string, muted: boolean): Promise<void> {
    const room = this.#rooms.get(conferenceId);
    if (!room) throw new NotFoundError('CONFERENCE_MIX_NOT_FOUND', `conference ${conferenceId} is not mixing`);
    room.mixer.setMuted(participantId, 'out', muted);
  }

  async close(conferenceId: string): Promise<void> {
    const room = this.#rooms.get(conferenceId);
    if (!room) return;
    for (const stop of room.players.values()) stop.abort();
    this.#drop(conferenceId, room);
  }

  /**
   * Sends the mix of everyone in the conference to `sink` (recording), also across the mix being
   * dropped while nobody is in and built again; returns the function that detaches it.
   */
  attachRecording(conferenceId: string, sink: AudioSink): () => void {
    this.#recordingSinks.set(conferenceId, sink);
    this.#rooms.get(conferenceId)?.mixer.setRecordingSink(sink);
    return () => {
      if (this.#recordingSinks.get(conferenceId) !== sink) return;
      this.#recordingSinks.delete(conferenceId);
      this.#rooms.get(conferenceId)?.mixer.setRecordingSink(undefined);
    };
  }

  #room(conferenceId: string): Room {
    let room = this.#rooms.get(conferenceId);
    if (!room) {
      const mixer = new Mixer();
      mixer.setRecordingSink(this.#recordingSinks.get(conferenceId));
      const created: Room = { mixer, detach: () => undefined, players: new Map(), mixedAt: -1 };
      created.detach = this.#o.mediaClock.addListener(() => this.#mix(created));
      this.#rooms.set(conferenceId, created);
      room = created;
    }
    return room;
  }

  /** Makes the current tick's mix unless it was made already. */
  #mix(room: Room): void {
    const tick = this.#o.mediaClock.tickCount;
    if (room.mixedAt === tick) return;
    room.mixedAt = tick;
    room.mixer.tick();
  }

  #drop(conferenceId: string, room: Room): void {
    room.detach();
    room.mixer.close();
    this.#rooms.delete(conferenceId);
  }
}
