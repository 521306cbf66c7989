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

function progressOf(call: Call): CallProgress | undefined {
  if (call.status === 'hangup') return { kind: 'hangup', reason: call.hangup_reason };
  if (call.status === 'progressing' || call.status === 'terminating') return { kind: 'answered' };
  if (call.status === 'ringing' && call.direction === 'outgoing') return { kind: 'ringing', early_media: false };
  return undefined;
}

/**
 * The flow engine's CallControlPort over CallService (signalling state) and CallMedia (audio of
 * each leg): flow actions drive calls by call id and never see legs, SIP or RTP.
 */
export class CallControlAdapter implements CallControlPort {
  readonly #o: CallControlAdapterOptions;

  constructor(options: CallControlAdapterOptions) {
    this.#o = options;
  }

  get(callId: string): Promise<Call | undefined> {
    return this.#o.calls().get(callId);
  }

  async answer(callId: string): Promise<void> {
    await this.#o.calls().answer(callId);
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
    let last: CallProgress['kind'] | undefined;
    const report = (p: CallProgress | undefined) => {
      if (!p || p.kind === last || last === 'hangup') return;
      last = p.kind;
      listener(p);
    };
    const off = this.#o.calls().onEvent((event) => {
      if (event.call.id === callId) report(progressOf(event.call));
    });
    // The current state at once, so an answer that happened right after dial is not missed.
    const live = this.#o
      .calls()
      .listLive()
      .find((c) => c.id === callId);
    if (live) report(progressOf(live));
    else
      void this.#o
        .calls()
        .get(callId)
        .then((c) => c && report(progressOf(c)));
    return off;
  }

  async bridge(callIdA: string, callIdB: string): Promise<void> {
    await this.#o.media.bridge(this.#leg(callIdA), this.#leg(callIdB));
  }

  async unbridge(callIdA: string, callIdB: string): Promise<void> {
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
