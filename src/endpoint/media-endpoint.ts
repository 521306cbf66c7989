import { InvalidStateError, TypedEmitter, systemClock, type Clock } from '../shared/index.ts';
import {
  AudioReceiver,
  AudioSender,
  DtmfSender,
  FRAME_SAMPLES,
  type LegRecorder,
  RelayBridge,
  type RtpSession,
  parseDtmfRelayInfo,
  type AudioSource,
  type RtpStats,
  type LegQuality,
  legQuality,
  type WebRtcState,
  type WebRtcTransport,
} from '../media/index.ts';
import type {
  MediaDtmfEvent,
  MediaEndpointEvents,
  MediaEndpointOptions,
  MediaRecordOptions,
  MuteDirection,
  SendDigitsOptions,
} from './media-endpoint-types.ts';
import { answerParts, offerParts, type EndpointParts } from './media-endpoint-setup.ts';
import type { NegotiatedAudioCodec } from './media-negotiated-codec.ts';
import { LegTaps, type LegTapListener } from './leg-taps.ts';
import { HeardPackets, type HeardPacketListener, type HeardPacketOptions } from './heard-packets.ts';
import { MediaPlayback, type PlayOutcome } from './media-playback.ts';
import type { MediaCodecName, MediaPlan, SdpSession } from './media-sdp-session.ts';
import { WebRtcSdpSession } from './webrtc-sdp-session.ts';

export type { MediaCodecName } from './media-sdp-session.ts';
export type { PlayOutcome } from './media-playback.ts';
export type { LegTapListener } from './leg-taps.ts';
export type { HeardPacketListener, HeardPacketOptions } from './heard-packets.ts';
export type {
  MediaDtmfEvent,
  MediaEndpointEvents,
  MediaEndpointOptions,
  MediaRecordOptions,
  MuteDirection,
  SendDigitsOptions,
} from './media-endpoint-types.ts';

/**
 * The media side of one call leg: SDP offer/answer (strings in, strings out), its RTP session,
 * outgoing audio (one playback at a time, silence otherwise), decoded incoming audio, recording,
 * DTMF both ways, mute, hold, quality stats, and the hooks of a header-rewriting relay to another
 * endpoint (see LegRelay). It knows nothing of SIP. `close()` releases the ports.
 */
export class MediaEndpoint extends TypedEmitter<MediaEndpointEvents> {
  readonly #sdp: SdpSession;
  readonly #webrtc: WebRtcTransport | undefined;
  readonly #codec: NegotiatedAudioCodec;
  readonly #session: RtpSession;
  readonly #clock: Clock;
  readonly #sender: AudioSender;
  readonly #receiver: AudioReceiver;
  readonly #dtmfSender: DtmfSender;
  readonly #playback: MediaPlayback;
  readonly #silence = new Int16Array(FRAME_SAMPLES);
  readonly #taps = new LegTaps();
  readonly #packets: HeardPackets;
  readonly #detach: (() => void)[];
  #plan: MediaPlan;
  #muteIn = false;
  #muteOut = false;
  #relayFrom: MediaEndpoint | undefined;
  #digits: Promise<void> = Promise.resolve();
  #digitsQueued = 0;
  #closing: Promise<void> | undefined;

  private constructor({ session, codec, sdp, plan }: EndpointParts, options: MediaEndpointOptions) {
    super();
    this.#session = session;
    this.#codec = codec;
    this.#sdp = sdp;
    this.#webrtc = sdp instanceof WebRtcSdpSession ? sdp.transport : undefined;
    this.#plan = plan;
    this.#clock = options.clock ?? systemClock;
    // Order matters: the sender reads the playing source before #onTick records what it sent.
    this.#sender = new AudioSender(session, options.mediaClock);
    this.#playback = new MediaPlayback(this.#sender);
    this.#receiver = new AudioReceiver(session, { mediaClock: options.mediaClock });
    this.#dtmfSender = new DtmfSender(session, this.#clock);
    this.#packets = new HeardPackets(session, () => !this.#closing && !this.#muteOut && this.#plan.receive);
    this.#detach = [
      options.mediaClock.addListener(this.#onTick),
      session.on('dtmf', (e) => this.#onDtmf({ ...e, via: 'rfc4733' })),
    ];
    if (this.#webrtc) this.#detach.push(this.#webrtc.on('state', (state) => this.emit('webrtc', state)));
    this.#apply(plan);
    if (!options.mediaClock.running) options.mediaClock.start();
  }

  /**
   * Answers a remote offer, plain RTP or WebRTC (docs/webrtc.md "The WebRTC leg"); throws AppError
   * `SDP_NO_COMMON_CODEC` or `SDP_WEBRTC_INVALID` (answer 488) before taking any port.
   */
  static async answer(
    options: MediaEndpointOptions & { offerSdp: string },
  ): Promise<{ endpoint: MediaEndpoint; answerSdp: string }> {
    const parts = await answerParts(options);
    return { endpoint: new MediaEndpoint(parts, options), answerSdp: parts.answerSdp };
  }

  /** Creates our offer for an outgoing call (`webrtc`: to a browser); pass the peer's answer to {@link applyAnswer}. */
  static async offer(
    options: MediaEndpointOptions & { webrtc?: boolean },
  ): Promise<{ endpoint: MediaEndpoint; offerSdp: string }> {
    const parts = await offerParts(options);
    return { endpoint: new MediaEndpoint(parts, options), offerSdp: parts.offerSdp };
  }

  /** Local RTP port written into our SDP. */
  get localPort(): number {
    return this.#session.localPort;
  }

  /** ICE/DTLS state of a WebRTC leg (`connected` once media can flow); undefined on a plain RTP leg. */
  get webrtcState(): WebRtcState | undefined {
    return this.#webrtc?.state;
  }

  /** Name of the codec in use. */
  get codecName(): MediaCodecName {
    return this.#codec.name;
  }

  /** True while we may send media (not held by the peer, not holding with `inactive`). */
  get sending(): boolean {
    return this.#plan.send;
  }

  /** True while we take media from the peer. */
  get receiving(): boolean {
    return this.#plan.receive;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** True while what the endpoint says may be relayed on: we take its media and it is not muted `out`. */
  get relaySource(): boolean {
    return !this.#closing && this.#plan.receive && !this.#muteOut;
  }

  /** True while relayed packets may be sent to the endpoint: it takes our media, is not muted `in` and gets no digits from us. */
  get relayTarget(): boolean {
    return !this.#closing && this.#plan.send && !this.#muteIn && this.#digitsQueued === 0;
  }

  /** A header-rewriting relay between the RTP sessions of two endpoints (same codec, else ValidationError `CODEC_MISMATCH`). */
  static relayBridge(a: MediaEndpoint, b: MediaEndpoint): RelayBridge {
    a.#assertOpen();
    b.#assertOpen();
    return new RelayBridge(a.#session, b.#session);
  }

  /**
   * Marks packets of `source` as relayed into this endpoint (undefined: no longer): our own audio
   * pauses while relayed packets come (its timestamps go on), fills in when none came for a while
   * (the peer has not spoken yet or fell silent), and recordings take `source`'s decoded audio as
   * what was heard.
   */
  relayFrom(source: MediaEndpoint | undefined): void {
    if (this.#closing || this.#relayFrom === source) return;
    this.#relayFrom = source;
    this.#muteSender();
  }

  /**
   * Decoded audio the endpoint says, one 20 ms frame per media clock tick (silence while muted or
   * held): the frame due in the current tick, whoever reads first, so a bridged peer's sender sends
   * what came in before this tick on this tick (docs/media.md "Jitter buffer"). Only read frames
   * are decoded.
   */
  readonly audio: AudioSource = {
    read: (frame: Int16Array): boolean => {
      if (this.#closing) return false;
      frame.set(this.#heard().subarray(0, frame.length));
      return true;
    },
  };

  /** Frames of incoming audio decoded so far: only while something reads them (a bridge, recording, mix, detector). */
  get decodedFrames(): number {
    return this.#receiver.decodedFrames;
  }

  /** Applies the answer to our initial offer or to a re-offer. */
  applyAnswer(answerSdp: string): void {
    this.#assertOpen();
    this.#apply(this.#sdp.applyAnswer(answerSdp));
  }

  /** A re-INVITE offer that holds the peer (`sendonly`) or takes it off hold; apply its answer with {@link applyAnswer}. */
  reoffer(options: { hold: boolean }): string {
    this.#assertOpen();
    return this.#sdp.reoffer(options.hold);
  }

  /** Forgets a re-offer whose re-INVITE failed (RFC 3261 §14.1: the session stays as it was). */
  abandonReoffer(): void {
    this.#sdp.abandonOffer();
  }

  /** Answers a re-INVITE offer (hold with `sendonly`/`inactive` stops our sending, unhold resumes it). */
  answerReoffer(offerSdp: string): string {
    this.#assertOpen();
    const { answerSdp, plan } = this.#sdp.answer(offerSdp, this.#session.localPort);
    this.#apply(plan);
    return answerSdp;
  }

  /** Plays `source` to the endpoint, stopping any current playback; resolves when it ends or is stopped. */
  play(source: AudioSource, options: { signal?: AbortSignal } = {}): Promise<PlayOutcome> {
    this.#assertOpen();
    return this.#playback.play(source, options.signal);
  }

  /** Stops the current playback (its promise resolves `stopped`); the endpoint hears silence. */
  stopPlayback(): void {
    this.#playback.stop();
  }

  /**
   * Starts recording the leg: `_in` = what the endpoint says, `_out` = what it hears from us. A split
   * recording takes `_in` from the leg's own packets, reordered ones included, placed by RTP
   * timestamp while the leg has {@link packetAudio} (the tick's frame otherwise), unless `heardPackets`
   * names another feed (docs/media.md "Recording").
   */
  async record(options: MediaRecordOptions): Promise<LegRecorder> {
    this.#assertOpen();
    const packets = this.#packets;
    const heardPackets = options.heardPackets ?? {
      get available() {
        return packets.available;
      },
      add: (listener: HeardPacketListener) => packets.add(listener, { reordered: true }),
    };
    return this.#taps.record({ ...options, heardPackets, clock: this.#clock }, () => this.closed);
  }

  /** Calls `listener` each tick with what the leg heard and was sent (LegTapListener) until detached or closed. */
  tap(listener: LegTapListener): () => void {
    this.#assertOpen();
    return this.#taps.addTap(listener);
  }

  /** True while the leg's codec is G.711, whose packets {@link onHeardPacket} passes on (not Opus). */
  get packetAudio(): boolean {
    return this.#packets.available;
  }

  /**
   * Calls `listener` with each received audio packet as it arrives, decoded on its own, before the
   * jitter buffer (HeardPackets): in arrival order, reordered, late and duplicate packets dropped
   * (reordered and late ones passed on too with `options.reordered`),
   * nothing while muted `out` or not receiving, nor while a re-INVITE has moved the leg to Opus. On a
   * leg whose codec is not G.711 (Opus, as browsers use) it returns a no-op and never calls: take
   * the tick {@link tap} there ({@link packetAudio} tells which).
   */
  onHeardPacket(listener: HeardPacketListener, options?: HeardPacketOptions): () => void {
    this.#assertOpen();
    return this.#packets.add(listener, options);
  }

  /** Reads a SIP INFO DTMF body (`application/dtmf-relay` or `application/dtmf`), emits and returns it; ValidationError otherwise. */
  handleInfo(body: string, contentType: string): MediaDtmfEvent {
    this.#assertOpen();
    const event: MediaDtmfEvent = { ...parseDtmfRelayInfo(body, contentType), via: 'info' };
    this.#onDtmf(event);
    return event;
  }

  /** Sends digits as RFC 4733 telephone-events (end packet three times); calls queue behind each other. */
  sendDigits(digits: string, options: SendDigitsOptions = {}): Promise<void> {
    this.#assertOpen();
    if (!this.#plan.send)
      return Promise.reject(new InvalidStateError('the peer takes no media from this leg (hold)', 'MEDIA_NOT_SENDING'));
    if (this.#plan.telephoneEventPt === undefined) {
      return Promise.reject(
        new InvalidStateError('the peer did not agree to telephone-event (RFC 4733)', 'DTMF_NOT_NEGOTIATED'),
      );
    }
    const timing = { durationMs: options.durationMs ?? 100, gapMs: options.intervalMs ?? 60 };
    // A relay into this leg pauses while our own events go out, so they do not interleave with relayed packets.
    if (++this.#digitsQueued === 1) this.emit('state');
    const run = this.#digits.then(() => this.#dtmfSender.send(digits, timing));
    this.#digits = run
      .catch(() => undefined)
      .then(() => {
        if (--this.#digitsQueued === 0 && !this.#closing) this.emit('state');
      });
    return run;
  }

  /** Mutes audio directions; DTMF is not affected. */
  setMuted(direction: MuteDirection): void {
    this.#assertOpen();
    this.#muteIn = direction === 'in' || direction === 'both';
    this.#muteOut = direction === 'out' || direction === 'both';
    this.#muteSender();
    this.emit('state');
  }

  /** Packets, bytes, loss and jitter of the leg. */
  stats(): RtpStats {
    return this.#session.stats();
  }

  /** The leg's media quality: RTP and RTCP figures, the jitter buffer's drops, an estimated MOS (docs/timeline.md "Media quality"). */
  quality(): LegQuality {
    const jb = this.#receiver.jitterBuffer;
    const { late, duplicate, skipped } = jb.stats;
    return legQuality(this.#codec.name, this.#session.stats(), { late, duplicate, skipped, delayMs: jb.target * 20 });
  }

  /** Stops playback and DTMF, releases the ports at once, then finalises running recordings; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.stopPlayback();
    this.#relayFrom = undefined;
    for (const off of this.#detach) off();
    this.#packets.close();
    this.#dtmfSender.close();
    this.#sender.close();
    this.#receiver.close();
    this.#session.close();
    this.#codec.close();
    await this.#webrtc?.whenClosed();
    const recorders = this.#taps.detachAll();
    this.emit('closed');
    await Promise.all(recorders.map((r) => r.stop('manual')));
  }

  #apply(plan: MediaPlan): void {
    this.#codec.apply(plan.codec);
    if (plan.remote) this.#session.setRemote(plan.remote);
    this.#plan = plan;
    this.#muteSender();
    this.emit('state');
  }

  #muteSender(): void {
    this.#sender.setMuted(this.#muteIn || !this.#plan.send);
    this.#sender.setRelayed(this.#relayFrom !== undefined);
  }

  #onDtmf(event: MediaDtmfEvent): void {
    this.#taps.onDtmf(event.digit);
    this.emit('dtmf', event);
  }

  /** What the endpoint says in the current tick, decoded on the first ask (silence while muted `out` or held). */
  #heard(): Int16Array {
    if (this.#muteOut || !this.#plan.receive) {
      this.#receiver.advance();
      return this.#silence;
    }
    return this.#receiver.current();
  }

  readonly #onTick = (): void => {
    // The jitter buffer moves on every tick whoever listens, so audio never queues up; nothing is decoded here
    // unless a recording or a tap takes it.
    this.#receiver.advance();
    const played = this.#playback.takeSentFrame();
    if (this.#taps.empty) return;
    // Relayed packets are not re-encoded: what the leg was sent is the source's own decoded audio.
    const sent = this.#relayFrom ? this.#relayFrom.#heard() : played;
    this.#taps.write(this.#heard(), sent);
  };

  #assertOpen(): void {
    if (this.#closing)
      throw new InvalidStateError(
        `media endpoint on port ${this.#session.localPort} is closed`,
        'MEDIA_ENDPOINT_CLOSED',
      );
  }
}
