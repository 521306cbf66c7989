import type { Clock, Logger } from '../../shared/index.ts';
import { silentLogger } from '../../shared/index.ts';
import type { NewTimelineEntry, TimelineRecorder } from '../../timeline/index.ts';
import type { MediaEndpoint } from '../../endpoint/index.ts';

/** The `event` of a `media` timeline entry (docs/timeline.md "Entries"). */
export type MediaEventName =
  | 'play'
  | 'talk'
  | 'dtmf_in'
  | 'dtmf_out'
  | 'recording_start'
  | 'recording_stop'
  | 'hold'
  | 'unhold'
  | 'mute'
  | 'unmute'
  | 'bridge'
  | 'unbridge'
  | 'stream_start'
  | 'stream_stop';

/**
 * A leg's entry: the entry handed to the recorder, its `customer_id` and `call_id` filled in once
 * they are known (one object per entry from the producer to the store).
 */
export interface LegEntry extends NewTimelineEntry {
  kind: 'sip' | 'media';
  data: Record<string, unknown>;
  atMs: number;
}

/** Told which SIP dialogs (by Call-ID) belong to which leg (docs/timeline.md "SIP ladder"). */
export interface SipDialogTracker {
  /** The SIP Call-ID `sipCallId` is a dialog of leg `legId` (of call `callId` when known already). */
  track(sipCallId: string, legId: string, callId?: string): void;
}

/** Options of {@link MediaTimeline}. */
export interface MediaTimelineOptions {
  recorder: TimelineRecorder;
  /** The customer of a call (the live call, else the stored one); undefined for an unknown call. */
  customerOf(callId: string): Promise<string | undefined>;
  clock: Clock;
  logger?: Logger;
}

/** Legs and calls remembered; the oldest are forgotten beyond these (a bound, not a lifetime). */
const MAX_LEGS = 8192;
const MAX_CALLS = 8192;
/** Entries held per leg before its call is known, and per call while its customer is looked up. */
const MAX_WAITING = 64;
/** Legs whose call is not known yet, at most (incoming INVITEs being routed). */
const MAX_UNBOUND_LEGS = 1024;

/**
 * The `sip` and `media` timeline entries of call legs (docs/timeline.md "Entries"): producers record
 * by `leg_id`; the leg's call (bound when the leg is registered or accepted) and the call's customer
 * (looked up once per call) are added before the entry goes to the recorder. Entries of a leg whose
 * call is not known yet, or of a call whose customer is being looked up, wait in order (bounded);
 * a leg that never becomes a call's (a refused INVITE) records nothing.
 */
export class MediaTimeline {
  /** Where legs say which SIP dialogs are theirs; set by the SIP timeline. */
  dialogs: SipDialogTracker | undefined;
  readonly #recorder: TimelineRecorder;
  readonly #customerOf: MediaTimelineOptions['customerOf'];
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #callOfLeg = new Map<string, string>();
  /** Resolved customers by call; null: the call is unknown, its entries are dropped. */
  readonly #customers = new Map<string, string | null>();
  readonly #unbound = new Map<string, LegEntry[]>();
  readonly #resolving = new Map<string, { legId: string; entry: LegEntry }[]>();
  readonly #legOfRecording = new Map<string, string>();

  constructor(options: MediaTimelineOptions) {
    this.#recorder = options.recorder;
    this.#customerOf = options.customerOf;
    this.#clock = options.clock;
    this.#logger = options.logger ?? silentLogger;
  }

  /** The call of a leg, when bound. */
  callOf(legId: string): string | undefined {
    return this.#callOfLeg.get(legId);
  }

  /** Leg `legId` belongs to call `callId`: its waiting entries follow. */
  bindLeg(legId: string, callId: string): void {
    if (this.#callOfLeg.get(legId) === callId) return;
    remember(this.#callOfLeg, legId, callId, MAX_LEGS);
    const waiting = this.#unbound.get(legId);
    if (!waiting) return;
    this.#unbound.delete(legId);
    for (const entry of waiting) this.#toCall(callId, legId, entry);
  }

  /** The customer of a call, when a producer knows it already (saves the lookup). */
  knowCustomer(callId: string, customerId: string): void {
    if (!this.#customers.has(callId)) remember(this.#customers, callId, customerId, MAX_CALLS);
  }

  /** Records an entry of leg `legId`, now or at `atMs`; `data` is the entry's own (`leg_id` is added to it). */
  record(legId: string, kind: LegEntry['kind'], summary: string, data: Record<string, unknown>, atMs?: number): void {
    if (!this.#recorder.enabled) return;
    data.leg_id = legId;
    const entry: LegEntry = { customer_id: '', kind, summary, data, atMs: atMs ?? this.#clock.now() };
    const callId = this.#callOfLeg.get(legId);
    if (callId !== undefined) return this.#toCall(callId, legId, entry);
    let waiting = this.#unbound.get(legId);
    if (!waiting) {
      if (this.#unbound.size >= MAX_UNBOUND_LEGS) this.#unbound.delete(this.#unbound.keys().next().value ?? '');
      waiting = [];
      this.#unbound.set(legId, waiting);
    }
    if (waiting.length < MAX_WAITING) waiting.push(entry);
  }

  /** A media event of a leg: `talk started`, `dtmf_in 5`, `bridge (relay)`. */
  media(legId: string, event: MediaEventName, data: Record<string, unknown> = {}, summary?: string): void {
    if (!this.#recorder.enabled) return;
    this.record(legId, 'media', summary ?? event.replace('_', ' '), { event, ...data });
  }

  /** A prompt (`play`, `talk`): its start now, its end (`ended`/`stopped`) when `outcome` settles; returns `outcome`. */
  playback<T>(legId: string, event: 'play' | 'talk', data: Record<string, unknown>, outcome: Promise<T>): Promise<T> {
    if (!this.#recorder.enabled) return outcome;
    this.media(legId, event, { ...data, phase: 'start' }, `${event} started`);
    outcome.then(
      (result) =>
        this.media(legId, event, { ...data, phase: 'end', outcome: String(result ?? 'ended') }, `${event} ended`),
      () => this.media(legId, event, { ...data, phase: 'end', outcome: 'failed' }, `${event} failed`),
    );
    return outcome;
  }

  /** Each digit the leg's endpoint receives (RFC 4733 or SIP INFO) is a `dtmf_in` entry. */
  watchDigits(legId: string, endpoint: Pick<MediaEndpoint, 'on'>): void {
    if (!this.#recorder.enabled) return;
    endpoint.on('dtmf', (e) =>
      this.media(legId, 'dtmf_in', { digit: e.digit, via: e.via, duration_ms: e.durationMs }, `dtmf_in ${e.digit}`),
    );
  }

  /** Two legs were bridged; `path` is how their audio flows at the start (docs/media.md "Bridging"). */
  bridged(legIdA: string, legIdB: string, path: 'relay' | 'decoded'): void {
    this.media(legIdA, 'bridge', { path, peer_leg_id: legIdB }, `bridge (${path})`);
    this.media(legIdB, 'bridge', { path, peer_leg_id: legIdA }, `bridge (${path})`);
  }

  /** Two bridged legs were parted. */
  unbridged(legIdA: string, legIdB: string): void {
    this.media(legIdA, 'unbridge', { peer_leg_id: legIdB });
    this.media(legIdB, 'unbridge', { peer_leg_id: legIdA });
  }

  /** A media stream of the leg started or stopped (docs/media-streams.md). */
  stream(
    legId: string,
    event: 'stream_start' | 'stream_stop',
    stream: { id: string; external_host: string; stop_reason: string },
  ): void {
    const data = { stream_id: stream.id, host: stream.external_host };
    this.media(legId, event, event === 'stream_stop' ? { ...data, reason: stream.stop_reason } : data);
  }

  /** A recording of the leg's call started; the recording knows its customer. */
  recordingStarted(legId: string, recording: { id: string; call_id: string; customer_id: string }): void {
    if (!this.#recorder.enabled) return;
    this.knowCustomer(recording.call_id, recording.customer_id);
    if (this.#callOfLeg.get(legId) === undefined) this.bindLeg(legId, recording.call_id);
    remember(this.#legOfRecording, recording.id, legId, MAX_CALLS);
    this.media(legId, 'recording_start', { recording_id: recording.id }, 'recording started');
  }

  /** A recording started on a leg ended, whatever ended it. */
  recordingStopped(recordingId: string): void {
    const legId = this.#legOfRecording.get(recordingId);
    if (legId === undefined) return;
    this.#legOfRecording.delete(recordingId);
    this.media(legId, 'recording_stop', { recording_id: recordingId }, 'recording stopped');
  }

  #toCall(callId: string, legId: string, entry: LegEntry): void {
    // Entries of a call whose customer is being looked up keep their order behind the waiting ones.
    const waiting = this.#resolving.get(callId);
    if (waiting) {
      if (waiting.length < MAX_WAITING) waiting.push({ legId, entry });
      return;
    }
    const customer = this.#customers.get(callId);
    if (customer === null) return;
    if (customer !== undefined) return this.#write(customer, callId, entry);
    this.#resolving.set(callId, [{ legId, entry }]);
    Promise.resolve()
      .then(() => this.#customerOf(callId))
      .catch((err: unknown) => {
        this.#logger.debug({ err, call_id: callId }, 'the customer of a call was not found for its timeline');
        return undefined;
      })
      .then((found) => {
        if (!this.#customers.has(callId)) remember(this.#customers, callId, found ?? null, MAX_CALLS);
        const resolved = this.#customers.get(callId);
        const queued = this.#resolving.get(callId) ?? [];
        this.#resolving.delete(callId);
        if (typeof resolved === 'string') for (const q of queued) this.#write(resolved, callId, q.entry);
      });
  }

  #write(customerId: string, callId: string, entry: LegEntry): void {
    entry.customer_id = customerId;
    entry.call_id = callId;
    this.#recorder.record(entry);
  }
}

/** Sets `key` in a map kept at most `max` long, forgetting the oldest insertions. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value ?? key);
}
