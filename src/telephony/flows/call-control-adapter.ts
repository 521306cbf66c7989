import type {
  Call,
  CallAction,
  CallService,
  HangupReason,
  MediaStreamRequest,
  MuteRequestDirection,
  RecordingOptions,
  StartedMediaStream,
} from '../../calls/index.ts';
import type { CallControlPort, CallProgress, DialCallsRequest, DtmfDigit, SpeechRequest } from '../../flows/index.ts';
import type { AudioSource } from '../../media/index.ts';
import { InvalidStateError, NIL_UUID, type Clock } from '../../shared/index.ts';
import type { CallMedia } from '../media/call-media.ts';
import { JoinAllMix } from '../media/join-all-mix.ts';

const FRAME_MS = 20;
const FRAME_SAMPLES = 160;

/** What the adapter needs; `calls` is late-bound because CallService is built with the flow engine. */
export interface CallControlAdapterOptions {
  calls: () => CallService;
  media: CallMedia;
  clock: Clock;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('aborted', 'AbortError');
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function progressOf(call: Call, early: boolean): CallProgress | undefined {
  if (call.status === 'hangup') return { kind: 'hangup', reason: call.hangup_reason };
  if (call.status === 'progressing' || call.status === 'terminating') return { kind: 'answered' };
  if (call.direction !== 'outgoing') return undefined;
  if (early) return { kind: 'ringing', early_media: true };
  if (call.status === 'ringing') return { kind: 'ringing', early_media: false };
  return undefined;
}

/** How far a call got: a report is passed on only when it goes further than the last one. */
function rankOf(progress: CallProgress): number {
  if (progress.kind === 'ringing') return progress.early_media ? 1 : 0;
  return progress.kind === 'answered' ? 2 : 3;
}

/**
 * The flow engine's CallControlPort over CallService (signalling state) and CallMedia (audio of
 * each leg): flow actions drive calls by call id and never see legs, SIP or RTP.
 */
export class CallControlAdapter implements CallControlPort {
  readonly #o: CallControlAdapterOptions;
  /** The join-all parties of each master call that joined others (`bridge` with `join`). */
  readonly #mixes = new Map<string, JoinAllMix>();

  constructor(options: CallControlAdapterOptions) {
    this.#o = options;
  }

  get(callId: string): Promise<Call | undefined> {
    return this.#o.calls().get(callId);
  }

  async answer(callId: string, options: { early?: boolean } = {}): Promise<void> {
    if (options.early === true) await this.#o.calls().sessionProgress(callId);
    else await this.#o.calls().answer(callId);
  }

  async talk(callId: string, request: SpeechRequest, signal: AbortSignal): Promise<void> {
    await this.#settle(signal, this.#o.media.talkAndWait(this.#leg(callId), request, signal));
  }

  async play(callId: string, urls: readonly string[], signal: AbortSignal): Promise<void> {
    await this.#settle(signal, this.#o.media.playUrlsAndWait(this.#leg(callId), urls, signal));
  }

  async beep(callId: string, signal: AbortSignal): Promise<void> {
    await this.#settle(signal, this.#o.media.beepAndWait(this.#leg(callId), signal));
  }

  async stopMedia(callId: string): Promise<void> {
    const leg = this.#legOrUndefined(callId);
    if (leg) await this.#o.media.stop(leg);
  }

  async hangup(callId: string, reason: HangupReason): Promise<void> {
    await this.#o.calls().hangup(callId, reason ? { reason } : {});
  }

  onDtmf(callId: string, listener: (digit: DtmfDigit) => void): () => void {
    const leg = this.#legOrUndefined(callId);
    if (!leg) return () => {};
    return this.#o.media.onDtmf(leg, (e) => listener({ digit: e.digit, durationMs: e.durationMs }));
  }

  async sendDigits(
    callId: string,
    request: { digits: string; durationMs: number; intervalMs: number },
    signal: AbortSignal,
  ): Promise<void> {
    await this.#settle(signal, this.#o.media.sendDigits(this.#leg(callId), request));
  }

  async recordingStart(callId: string, options: RecordingOptions): Promise<void> {
    await this.#o.calls().startRecording(callId, options);
  }

  async recordingStop(callId: string): Promise<void> {
    const call = await this.#o.calls().get(callId);
    // A call without a running recording is fine for the flow action.
    if (!call || call.status === 'hangup' || call.recording_id === NIL_UUID) return;
    await this.#o.calls().stopRecording(callId);
  }

  mediaStreamStart(callId: string, request: MediaStreamRequest): Promise<StartedMediaStream> {
    return this.#o.calls().startMediaStream(callId, request);
  }

  async mediaStreamStop(callId: string): Promise<void> {
    await this.#o.calls().stopMediaStream(callId);
  }

  async setMute(callId: string, direction: MuteRequestDirection, on: boolean): Promise<void> {
    await this.#o.calls().setMute(callId, direction, on);
  }

  async echo(callId: string, signal: AbortSignal): Promise<void> {
    const leg = this.#leg(callId);
    const heard = this.#o.media.audioOf(leg);
    // Decoded echo: every frame the caller sends is played straight back until the signal aborts.
    const echo: AudioSource = { read: (frame) => (heard.read(frame), !signal.aborted) };
    await this.#settle(signal, this.#o.media.playAndWait(leg, echo, signal));
  }

  async *audioFrames(callId: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    const heard = this.#o.media.audioOf(this.#leg(callId));
    while (!signal.aborted) {
      await sleep(this.#o.clock, FRAME_MS, signal).catch(() => undefined);
      if (signal.aborted) return;
      const frame = new Int16Array(FRAME_SAMPLES);
      heard.read(frame);
      yield frame;
    }
  }

  async dial(request: DialCallsRequest): Promise<string[]> {
    const calls = await this.#o.calls().createOutgoing({
      customer_id: request.customer_id,
      source: request.source,
      destinations: [...request.destinations],
      ...('flow_id' in request.flow ? { flow_id: request.flow.flow_id } : { actions: [...request.flow.actions] }),
      ...(request.master_call_id ? { master_call_id: request.master_call_id } : {}),
      ...(request.early_execution !== undefined ? { early_execution: request.early_execution } : {}),
      ...(request.ring_timeout_sec !== undefined ? { dial_timeout: request.ring_timeout_sec } : {}),
      ...(request.anonymous === true ? { anonymous: 'yes' as const } : {}),
    });
    return calls.map((c) => c.id);
  }

  onProgress(callId: string, listener: (progress: CallProgress) => void): () => void {
    let last = -1;
    const report = (p: CallProgress | undefined) => {
      if (!p || rankOf(p) <= last) return;
      last = rankOf(p);
      listener(p);
    };
    const early = this.#o.media.earlyMedia;
    const offEvents = this.#o.calls().onEvent((event) => {
      if (event.call.id === callId) report(progressOf(event.call, early.has(callId)));
    });
    // A 183 with SDP changes no call status: the outgoing leg's mark tells (docs/media.md "Early media").
    const offEarly = early.onStart(callId, () => report({ kind: 'ringing', early_media: true }));
    const off = (): void => {
      offEvents();
      offEarly();
    };
    // The current state at once, so an answer that happened right after dial is not missed.
    const live = this.#o
      .calls()
      .listLive()
      .find((c) => c.id === callId);
    if (live) report(progressOf(live, early.has(callId)));
    else
      void this.#o
        .calls()
        .get(callId)
        .then((c) => c && report(progressOf(c, early.has(callId))));
    return off;
  }

  async bridge(callIdA: string, callIdB: string, options: { join?: boolean } = {}): Promise<void> {
    const a = this.#leg(callIdA);
    const b = this.#leg(callIdB);
    if (options.join !== true) return this.#o.media.bridge(a, b);
    let mix = this.#mixes.get(callIdA);
    if (!mix) {
      mix = new JoinAllMix(this.#o.media);
      this.#mixes.set(callIdA, mix);
      await mix.add(callIdA, a);
    }
    await mix.add(callIdB, b);
  }

  async unbridge(callIdA: string, callIdB: string): Promise<void> {
    const mix = this.#mixes.get(callIdA);
    if (mix) {
      // The rest keep hearing each other; with one party left nobody is heard (docs/media.md "Join-all mixing").
      await mix.remove(callIdB);
      if (mix.parties.length <= 1) {
        this.#mixes.delete(callIdA);
        await mix.close();
      }
      return;
    }
    const a = this.#legOrUndefined(callIdA);
    const b = this.#legOrUndefined(callIdB);
    if (a && b) await this.#o.media.unbridge(a, b);
  }

  async setAction(callId: string, action: CallAction): Promise<void> {
    await this.#o.calls().setAction(callId, action);
  }

  async flowEnded(callId: string, activeflowId: string): Promise<void> {
    await this.#o.calls().flowEnded(callId, activeflowId);
  }

  #legOrUndefined(callId: string): string | undefined {
    return this.#o.calls().legId(callId) ?? this.#o.media.legIdForCall(callId);
  }

  #leg(callId: string): string {
    const leg = this.#legOrUndefined(callId);
    if (!leg) throw new InvalidStateError(`call ${callId} has no media leg`, 'CALL_STATE_INVALID');
    return leg;
  }

  /** Waits for media work; an abort rejects with the signal's reason as the port promises. */
  async #settle(signal: AbortSignal, work: Promise<unknown>): Promise<void> {
    await work;
    if (signal.aborted) throw abortError(signal);
  }
}
