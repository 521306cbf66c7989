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
 * Ticks without a relayed packet after which a relayed leg's own audio fills in (200 ms): more than
 * the ticks a MediaClock runs back-to-back after a stall (5 by default) before queued packets are
 * read, so a busy loop alone never interleaves our audio with a live relayed stream.
 */
export const RELAY_GAP_TICKS = 10;

/**
 * Sends a leg's outgoing audio: on every media clock tick, reads 160 samples from the current
 * source (silence when none), encodes them with the leg's codec and sends them, the timestamp
 * advancing by the codec's frame (160 for G.711, 960 for Opus at its 48 kHz clock). While muted or
 * while a DTMF event is out, the timestamp advances but nothing is sent. While packets are relayed
 * into the session (setRelayed), it yields to them the same way, and sends its own audio again
 * once {@link RELAY_GAP_TICKS} ticks passed without one (docs/media.md "Bridging").
 */
export class AudioSender extends TypedEmitter<AudioSenderEvents> {
  readonly #session: RtpSession;
  readonly #frame = new Int16Array(FRAME_SAMPLES);
  readonly #detach: () => void;
  #source: AudioSource | undefined;
  #muted = false;
  #relayed = false;
  #relayedSeen = 0;
  #relayIdleTicks = RELAY_GAP_TICKS;
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

  /**
   * Yields (true) to packets relayed into the session, or stops yielding (false). A leg whose relayed
   * peer has not sent yet goes on with its own audio, so two parties that each wait to hear the
   * other first (symmetric RTP, an echo) still start talking.
   */
  setRelayed(relayed: boolean): void {
    this.#assertOpen();
    if (relayed === this.#relayed) return;
    this.#relayed = relayed;
    this.#relayedSeen = this.#session.relayedPackets;
    this.#relayIdleTicks = RELAY_GAP_TICKS;
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
    const codec = session.codec;
    if (this.#muted || session.eventActive || this.#yieldsToRelay(session)) {
      session.skipAudio(codec.frameTicks);
      return;
    }
    const source = this.#source;
    if (source && !source.read(this.#frame)) {
      this.#source = undefined;
      this.emit('ended', source);
    }
    if (!this.#source) {
      if (!this.#sendSilence) {
        session.skipAudio(codec.frameTicks);
        return;
      }
      this.#frame.fill(0);
    }
    const payload = codec.encodeFrame(this.#frame);
    // RFC 3551 §4.1: the marker bit flags the first packet of a talkspurt.
    session.sendAudio(payload, codec.frameTicks, this.#talkspurt);
    this.#talkspurt = false;
  };

  /** True while relayed packets keep coming into the session; allocates nothing. */
  #yieldsToRelay(session: RtpSession): boolean {
    if (!this.#relayed) return false;
    const relayed = session.relayedPackets;
    if (relayed !== this.#relayedSeen) {
      this.#relayedSeen = relayed;
      this.#relayIdleTicks = 0;
      return true;
    }
    if (this.#relayIdleTicks >= RELAY_GAP_TICKS) return false;
    // RFC 3551 §4.1: our own audio after the relayed stream starts a talkspurt.
    if (++this.#relayIdleTicks === RELAY_GAP_TICKS) this.#talkspurt = true;
    return this.#relayIdleTicks < RELAY_GAP_TICKS;
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('audio sender is closed', 'AUDIO_SENDER_CLOSED');
  }
}
