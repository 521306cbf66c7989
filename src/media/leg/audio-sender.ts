import { InvalidStateError, TypedEmitter } from '../../shared/index.ts';
import { FRAME_SAMPLES, type MediaClock } from '../clock/index.ts';
import type { RtpSession } from '../rtp/index.ts';
import type { AudioSource } from './audio-source.ts';

/** Events of an AudioSender. */
export type AudioSenderEvents = {
  /** The current source returned false; the sender went back to silence. */
  ended: [source: AudioSource];
};

/**
 * Sends a leg's outgoing audio: on every media clock tick, reads 160 samples from the current
 * source (silence when none), encodes them with the leg's codec and sends them. While muted or
 * while a DTMF event is out, the timestamp advances but nothing is sent.
 */
export class AudioSender extends TypedEmitter<AudioSenderEvents> {
  readonly #session: RtpSession;
  readonly #frame = new Int16Array(FRAME_SAMPLES);
  readonly #payload = new Uint8Array(FRAME_SAMPLES);
  readonly #detach: () => void;
  #source: AudioSource | undefined;
  #muted = false;
  #sendSilence: boolean;
  #talkspurt = true;
  #closed = false;

  constructor(session: RtpSession, clock: MediaClock, options: { sendSilence?: boolean } = {}) {
    super();
    this.#session = session;
    this.#sendSilence = options.sendSilence ?? true;
    this.#detach = clock.addListener(this.#onTick);
  }

  /** True while muted. */
  get muted(): boolean {
    return this.#muted;
  }

  /** Replaces the current source (undefined = silence). */
  setSource(source: AudioSource | undefined): void {
    this.#assertOpen();
    this.#source = source;
    this.#talkspurt = true;
  }

  /** Mutes or unmutes what this leg sends. */
  setMuted(muted: boolean): void {
    this.#assertOpen();
    this.#muted = muted;
    if (!muted) this.#talkspurt = true;
  }

  /** Stops sending; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#detach();
  }

  readonly #onTick = (): void => {
    const session = this.#session;
    if (this.#closed || session.closed) return;
    if (this.#muted || session.eventActive) {
      session.skipAudio(FRAME_SAMPLES);
      return;
    }
    const source = this.#source;
    if (source && !source.read(this.#frame)) {
      this.#source = undefined;
      this.emit('ended', source);
    }
    if (!this.#source) {
      if (!this.#sendSilence) {
        session.skipAudio(FRAME_SAMPLES);
        return;
      }
      this.#frame.fill(0);
    }
    session.codec.encode(this.#frame, this.#payload);
    // RFC 3551 §4.1: the marker bit flags the first packet of a talkspurt.
    session.sendAudio(this.#payload, FRAME_SAMPLES, this.#talkspurt);
    this.#talkspurt = false;
  };

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('audio sender is closed', 'AUDIO_SENDER_CLOSED');
  }
}
