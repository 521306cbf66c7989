import type { CallLegQos, DigitsRequest, MediaPort, MuteDirection, TalkRequest } from '../../calls/index.ts';
import { CachedTtsEngine, EspeakTtsEngine, PcmSource, beep, holdMusic, loadAudio } from '../../media/index.ts';
import type { AudioSource, TtsEngine, TtsGender } from '../../media/index.ts';
import { AppError, NotFoundError, ValidationError, silentLogger, systemClock } from '../../shared/index.ts';
import type { Logger } from '../../shared/index.ts';
import {
  LegOutput,
  LegRelay,
  type MediaDtmfEvent,
  type MediaEndpoint,
  type PlayOutcome,
} from '../../endpoint/index.ts';
import type { HoldMusic } from './hold-music.ts';
import { CallQuality, type QualityLeg } from './call-quality.ts';
import { EarlyMediaCalls } from './early-media.ts';
import type { MediaTimeline } from './media-timeline.ts';

/** Options of {@link CallMedia}. */
export interface CallMediaOptions {
  /** Text-to-speech (default espeak-ng behind an in-memory cache). */
  tts?: TtsEngine;
  /** Loads an http(s) URL as 8 kHz PCM (default `loadAudio`); the composition root passes a guarded loader. */
  loadAudio?: (url: string, options: { signal?: AbortSignal }) => Promise<Int16Array>;
  /** The music looped to a held leg (default the built-in `holdMusic()`). */
  holdMusic?: Int16Array;
  /** Picks a held call's music: its own or its customer's `moh_url` (docs/calls.md "Music on hold"); default `holdMusic`. */
  mohLibrary?: HoldMusic;
  /**
   * Relay bridged same-codec legs header-rewritten (LegRelay) instead of decoding; default on. False
   * keeps every bridge on the decoded path (docs/media.md "Bridging").
   */
  relayRtp?: boolean;
  logger?: Logger;
  /** Told of every digit a leg of a known call receives, RFC 4733 or SIP INFO, once each (`dtmf_received`, docs/events.md). */
  onDigit?: (callId: string, event: MediaDtmfEvent) => void;
  /** Media quality at hangup and its timeline samples (docs/calls.md "Media quality"); default: at hangup only. */
  quality?: CallQuality;
  /** Where legs' media events (and, through it, their SIP dialogs) are recorded (docs/timeline.md); none without it. */
  timeline?: MediaTimeline | undefined;
}

interface LegMedia {
  readonly endpoint: MediaEndpoint;
  readonly output: LegOutput;
  readonly callId: string | undefined;
  peerLegId?: string;
  offPeerDtmf?: () => void;
  /** The RTP relay shared with the bridged peer. */
  relay?: LegRelay;
}

const GENDERS: readonly TtsGender[] = ['male', 'female', 'neutral'];
/** Downloads of one play request in flight at once. */
const PLAY_LOAD_CONCURRENCY = 4;
/** Most decoded audio one play request may hold: an hour at 8 kHz (docs/security.md). */
const MAX_PLAY_SAMPLES = 8000 * 3600;

/**
 * The media of every live leg by `leg_id` (MediaPort). Each registered endpoint plays one
 * LegOutput for its whole life, so prompts, hold music, silence and a bridge are switches on that
 * output, not playback restarts. A bridge of two legs with the same codec relays their RTP with
 * only the headers rewritten (LegRelay) whenever a leg hears its peer; otherwise (different
 * codecs, a prompt, hold, silence, mute) the leg hears its LegOutput, decoded and re-encoded.
 * Besides the MediaPort methods, the `*AndWait` methods resolve when playback ends, for the flow
 * engine's call-control adapter.
 */
export class CallMedia implements MediaPort {
  readonly #legs = new Map<string, LegMedia>();
  readonly #legOfCall = new Map<string, string>();
  readonly #tts: TtsEngine;
  readonly #load: NonNullable<CallMediaOptions['loadAudio']>;
  readonly #holdMusic: Int16Array | undefined;
  readonly #logger: Logger;
  readonly #relayRtp: boolean;
  readonly #onDigit: CallMediaOptions['onDigit'];
  readonly #mohLibrary: HoldMusic | undefined;
  readonly #quality: CallQuality;
  /** Per leg, the latest music-on-hold request still being resolved (an older one's answer is dropped). */
  readonly #mohPending = new Map<string, object>();
  /** Outgoing calls whose callee sends early media now (docs/media.md "Early media"). */
  readonly earlyMedia = new EarlyMediaCalls();
  /** The calls' timeline of media events, when on (docs/timeline.md "Entries"). */
  readonly timeline: MediaTimeline | undefined;

  constructor(options: CallMediaOptions = {}) {
    this.#tts = options.tts ?? new CachedTtsEngine(new EspeakTtsEngine());
    this.#load = options.loadAudio ?? ((url, o) => loadAudio(url, o.signal ? { signal: o.signal } : {}));
    this.#holdMusic = options.holdMusic;
    this.#logger = options.logger ?? silentLogger;
    this.#relayRtp = options.relayRtp ?? true;
    this.#onDigit = options.onDigit;
    this.#mohLibrary = options.mohLibrary;
    this.#quality = options.quality ?? new CallQuality({ clock: systemClock });
    this.#quality.start(() => this.#qualityLegs());
    this.timeline = options.timeline;
  }

  /** Legs registered now. */
  get size(): number {
    return this.#legs.size;
  }

  /** Adds a leg's endpoint (of call `callId` when known) and starts its output; the registry owns it from now on. */
  register(legId: string, endpoint: MediaEndpoint, callId?: string): void {
    const output = new LegOutput();
    this.#legs.set(legId, { endpoint, output, callId });
    if (callId !== undefined) this.#legOfCall.set(callId, legId);
    void endpoint.play(output);
    if (callId !== undefined) this.timeline?.bindLeg(legId, callId);
    this.timeline?.watchDigits(legId, endpoint);
    const onDigit = this.#onDigit;
    if (onDigit) {
      // The leg's call as it is when the digit comes: incoming legs learn it after acceptance (bindCall).
      endpoint.on('dtmf', (event) => {
        const id = this.#legs.get(legId)?.callId;
        if (id !== undefined) onDigit(id, event);
      });
    }
  }

  /** Records that leg `legId` belongs to call `callId` (incoming legs learn their call id after acceptance). */
  bindCall(legId: string, callId: string): void {
    const leg = this.#legs.get(legId);
    if (leg) this.#legs.set(legId, { ...leg, callId });
    this.timeline?.bindLeg(legId, callId);
    this.#legOfCall.set(callId, legId);
  }

  /** The leg id of a call's latest registered leg, if it is still registered. */
  legIdForCall(callId: string): string | undefined {
    const legId = this.#legOfCall.get(callId);
    return legId !== undefined && this.#legs.has(legId) ? legId : undefined;
  }

  /** The endpoint of a registered leg. */
  endpoint(legId: string): MediaEndpoint {
    return this.#leg(legId).endpoint;
  }

  /** Removes a leg: unbridges it, stops its prompt and closes its endpoint; idempotent. */
  async release(legId: string): Promise<void> {
    const leg = this.#legs.get(legId);
    if (!leg) return;
    if (leg.peerLegId !== undefined) this.#unbridgeOne(leg.peerLegId, legId);
    this.#unbridgeOne(legId, leg.peerLegId);
    leg.output.stop();
    this.#quality.released({ legId, callId: leg.callId, quality: () => leg.endpoint.quality() });
    this.#legs.delete(legId);
    if (leg.callId !== undefined && this.#legOfCall.get(leg.callId) === legId) this.#legOfCall.delete(leg.callId);
    await leg.endpoint.close();
  }

  /** Each leg's media quality as the call ends: its legs still up and those released before (docs/calls.md "Media quality"). */
  qos(callId: string): CallLegQos[] {
    return this.#quality.take(callId, this.#qualityLegs());
  }

  *#qualityLegs(): Iterable<QualityLeg> {
    for (const [legId, leg] of this.#legs) yield { legId, callId: leg.callId, quality: () => leg.endpoint.quality() };
  }

  /** Releases every leg (shutdown). */
  async close(): Promise<void> {
    this.#quality.close();
    await Promise.all([...this.#legs.keys()].map((id) => this.release(id)));
  }

  async play(legId: string, mediaUrls: readonly string[]): Promise<void> {
    const sources = await this.#loadAll(mediaUrls, 'media_urls');
    this.#leg(legId);
    this.#timed(legId, 'play', { url: mediaUrls[0] }, this.#playSequence(legId, sources)).catch((err: unknown) =>
      this.#logger.debug({ err, call_id: this.#legs.get(legId)?.callId, leg_id: legId }, 'playback ended with the leg'),
    );
  }

  async talk(legId: string, request: TalkRequest): Promise<void> {
    const pcm = await this.#speak(request);
    void this.#timed(legId, 'talk', { language: request.language }, this.playAndWait(legId, pcm));
  }

  async stop(legId: string): Promise<void> {
    this.#leg(legId).output.stop();
  }

  async setMute(legId: string, direction: MuteDirection): Promise<void> {
    this.#leg(legId).endpoint.setMuted(direction === '' ? 'none' : direction);
    this.timeline?.media(legId, direction === '' ? 'unmute' : 'mute', direction === '' ? {} : { direction });
  }

  async setSilence(legId: string, on: boolean): Promise<void> {
    this.#leg(legId).output.silence = on;
  }

  /** Marks the leg held by us: it hears hold music when on, else silence, never the bridged peer. */
  setHeld(legId: string, held: boolean): void {
    this.#leg(legId).output.held = held;
    this.timeline?.media(legId, held ? 'hold' : 'unhold');
  }

  async setHold(legId: string, on: boolean): Promise<void> {
    this.setHeld(legId, on);
  }

  async setMusicOnHold(legId: string, on: boolean, mohUrl?: string): Promise<void> {
    const leg = this.#leg(legId);
    this.#mohPending.delete(legId);
    const library = this.#mohLibrary;
    if (!on || !library) {
      leg.output.musicOnHold = on ? new PcmSource(this.#holdMusic ?? holdMusic(), { loop: true }) : undefined;
      return;
    }
    // The music may have to be fetched first: the leg hears silence meanwhile, the call's queue does not wait.
    const request = {};
    this.#mohPending.set(legId, request);
    void library.forCall(leg.callId, mohUrl).then((pcm) => {
      if (this.#mohPending.get(legId) !== request) return;
      this.#mohPending.delete(legId);
      const now = this.#legs.get(legId);
      if (now) now.output.musicOnHold = new PcmSource(pcm, { loop: true });
    });
  }

  async sendDigits(legId: string, request: DigitsRequest): Promise<void> {
    await this.#leg(legId).endpoint.sendDigits(request.digits, {
      durationMs: request.durationMs,
      intervalMs: request.intervalMs,
    });
    this.timeline?.media(legId, 'dtmf_out', { digits: request.digits }, `dtmf_out ${request.digits}`);
  }

  async bridge(legIdA: string, legIdB: string): Promise<void> {
    if (legIdA === legIdB) throw new AppError('MEDIA_BRIDGE_SELF', `leg ${legIdA} cannot be bridged to itself`);
    const a = this.#leg(legIdA);
    const b = this.#leg(legIdB);
    for (const [leg, id] of [
      [a, legIdA],
      [b, legIdB],
    ] as const) {
      if (leg.peerLegId !== undefined) await this.unbridge(id, leg.peerLegId);
    }
    this.#link(a, b, legIdB);
    this.#link(b, a, legIdA);
    if (!this.#relayRtp) return void this.timeline?.bridged(legIdA, legIdB, 'decoded');
    const relay = new LegRelay(a, b);
    a.relay = relay;
    b.relay = relay;
    this.timeline?.bridged(legIdA, legIdB, relay.active ? 'relay' : 'decoded');
  }

  /**
   * Sets what the leg hears as its peer without a pairwise bridge (a mix of several legs, docs/media.md
   * "Join-all mixing"), or removes it (undefined; a leg bridged pairwise keeps its peer); a pairwise
   * bridge of the leg is ended first.
   */
  setPeerSource(legId: string, source: AudioSource | undefined): void {
    const leg = source === undefined ? this.#legs.get(legId) : this.#leg(legId);
    if (!leg || (source === undefined && leg.peerLegId !== undefined)) return;
    if (leg.peerLegId !== undefined) this.#unbridgeOne(leg.peerLegId, legId);
    this.#unbridgeOne(legId, leg.peerLegId);
    leg.output.peer = source;
  }

  /** The relay between a bridged leg and its peer, while bridged. */
  relayOf(legId: string): LegRelay | undefined {
    return this.#leg(legId).relay;
  }

  async unbridge(legIdA: string, legIdB: string): Promise<void> {
    if (this.timeline && this.#legs.get(legIdA)?.peerLegId === legIdB) this.timeline.unbridged(legIdA, legIdB);
    this.#unbridgeOne(legIdA, legIdB);
    this.#unbridgeOne(legIdB, legIdA);
  }

  /** Plays a PCM buffer or any source to the leg; resolves `ended` or `stopped` (stop, abort, a newer prompt, release). */
  playAndWait(legId: string, source: AudioSource | Int16Array, signal?: AbortSignal): Promise<PlayOutcome> {
    const audio = source instanceof Int16Array ? new PcmSource(source) : source;
    return this.#leg(legId).output.play(audio, signal);
  }

  /** Speaks text to the leg; resolves when it was played or stopped. */
  async talkAndWait(legId: string, request: TalkRequest, signal?: AbortSignal): Promise<PlayOutcome> {
    const pcm = await this.#speak(request, signal);
    return this.#timed(legId, 'talk', { language: request.language }, this.playAndWait(legId, pcm, signal));
  }

  /** Plays each URL in turn; resolves when all ended, or `stopped` as soon as one was stopped. */
  async playUrlsAndWait(legId: string, mediaUrls: readonly string[], signal?: AbortSignal): Promise<PlayOutcome> {
    const sources = await this.#loadAll(mediaUrls, 'stream_urls', signal);
    return this.#timed(legId, 'play', { url: mediaUrls[0] }, this.#playSequence(legId, sources, signal));
  }

  /** Plays the prompt beep; resolves when played. */
  beepAndWait(legId: string, signal?: AbortSignal): Promise<PlayOutcome> {
    return this.playAndWait(legId, beep(), signal);
  }

  /** Subscribes to the DTMF digits the leg sends (RFC 4733 or SIP INFO); returns the unsubscribe function. */
  onDtmf(legId: string, listener: (event: MediaDtmfEvent) => void): () => void {
    return this.#leg(legId).endpoint.on('dtmf', listener);
  }

  /**
   * Mixes `source` over whatever the leg hears (a media stream's bot speaking, LegOutput.overlay), or
   * removes it (undefined; a leg already released is then ignored).
   */
  setOverlay(legId: string, source: AudioSource | undefined): void {
    const leg = source === undefined ? this.#legs.get(legId) : this.#leg(legId);
    if (leg) leg.output.overlay = source;
  }

  /** What the leg says, decoded, one 20 ms frame per read (silence while muted `out`). */
  audioOf(legId: string): AudioSource {
    return this.#leg(legId).endpoint.audio;
  }

  /** A prompt's start and end on the timeline (docs/timeline.md "Entries"); returns `outcome`. */
  #timed<T>(legId: string, event: 'play' | 'talk', data: Record<string, unknown>, outcome: Promise<T>): Promise<T> {
    return this.timeline ? this.timeline.playback(legId, event, data, outcome) : outcome;
  }

  #leg(legId: string): LegMedia {
    const leg = this.#legs.get(legId);
    if (!leg) throw new NotFoundError('MEDIA_LEG_NOT_FOUND', `no media leg ${legId}`);
    return leg;
  }

  #link(leg: LegMedia, peer: LegMedia, peerLegId: string): void {
    leg.peerLegId = peerLegId;
    leg.output.peer = peer.endpoint.audio;
    // docs/media.md "DTMF": digits are relayed between bridged legs, to a leg that hears its peer (mute aside).
    // RFC 4733 packets the relay carried reached the leg already; INFO digits and the others are generated.
    leg.offPeerDtmf = peer.endpoint.on('dtmf', (event) => {
      if (event.via === 'rfc4733' && leg.relay?.carries(peer.endpoint)) return;
      if (!leg.output.hearsPeer || !leg.endpoint.sending) return;
      leg.endpoint
        .sendDigits(event.digit, { durationMs: event.durationMs })
        .catch((err: unknown) =>
          this.#logger.debug({ err, call_id: leg.callId, peer_leg_id: peerLegId }, 'DTMF relay failed'),
        );
    });
  }

  #unbridgeOne(legId: string, peerLegId: string | undefined): void {
    const leg = this.#legs.get(legId);
    if (!leg || leg.peerLegId === undefined || (peerLegId !== undefined && leg.peerLegId !== peerLegId)) return;
    leg.relay?.close();
    delete leg.relay;
    leg.offPeerDtmf?.();
    delete leg.offPeerDtmf;
    delete leg.peerLegId;
    leg.output.peer = undefined;
  }

  async #speak(request: TalkRequest, signal?: AbortSignal): Promise<Int16Array> {
    const gender = GENDERS.find((g) => g === request.gender) ?? 'female';
    return this.#tts.synthesize({
      text: request.text,
      language: request.language,
      gender,
      ...(request.voice_id !== undefined && request.voice_id !== '' ? { voiceId: request.voice_id } : {}),
      ...(signal ? { signal } : {}),
    });
  }

  /** Downloads every URL before any plays; a URL that fails is a ValidationError naming `field[i]` (docs/security.md). */
  /**
   * Loads a play request's URLs, a few at a time, within one budget of decoded audio: each download
   * is bounded on its own, and the request as a whole must not hold more than an hour of audio.
   */
  async #loadAll(urls: readonly string[], field: string, signal?: AbortSignal): Promise<Int16Array[]> {
    const sources: Int16Array[] = [];
    let samples = 0;
    for (let start = 0; start < urls.length; start += PLAY_LOAD_CONCURRENCY) {
      const batch = urls.slice(start, start + PLAY_LOAD_CONCURRENCY).map((url, j) =>
        this.#load(url, signal ? { signal } : {}).catch((err: unknown) => {
          if (!(err instanceof AppError) || err.code === 'MEDIA_ABORTED') throw err;
          throw new ValidationError([{ field: `${field}[${start + j}]`, reason: err.code, message: err.message }]);
        }),
      );
      for (const pcm of await Promise.all(batch)) {
        samples += pcm.length;
        if (samples > MAX_PLAY_SAMPLES) {
          throw new ValidationError([
            {
              field,
              reason: 'MEDIA_TOO_LARGE',
              message: `the media of one request is longer than ${MAX_PLAY_SAMPLES / 8000} s`,
            },
          ]);
        }
        sources.push(pcm);
      }
    }
    return sources;
  }

  async #playSequence(legId: string, sources: readonly Int16Array[], signal?: AbortSignal): Promise<PlayOutcome> {
    for (const pcm of sources) {
      if (!this.#legs.has(legId)) return 'stopped';
      if ((await this.playAndWait(legId, pcm, signal)) === 'stopped') return 'stopped';
    }
    return 'ended';
  }
}
