import { addMute, removeMute } from '../calls/index.ts';
import type {
  Call,
  CallAction,
  HangupReason,
  MediaStreamRequest,
  MuteRequestDirection,
  RecordingOptions,
  StartedMediaStream,
} from '../calls/index.ts';
import type { CallControlPort, CallProgress, DialCallsRequest, DtmfDigit, SpeechRequest } from '../flows/index.ts';
import { isoTime } from '../shared/index.ts';
import type { ScriptCallee } from './script.ts';
import type { SeededIds } from './seeded-ids.ts';
import type { SimCallState } from './sim-call-state.ts';
import { BEEP_MS, playMs, speechMs, untilAborted, waitOn } from './sim-util.ts';
import type { Trace } from './trace.ts';
import type { VirtualClock } from './virtual-clock.ts';

/** What the simulated call control is built from. */
export interface SimCallsDeps {
  clock: VirtualClock;
  trace: Trace;
  ids: SeededIds;
  state: SimCallState;
  /** The script's callees by destination target (`*`: any other). */
  callees: Readonly<Record<string, ScriptCallee>>;
}

/**
 * The flow engine's CallControlPort over simulated calls: media takes virtual time derived from its
 * text or URL, callees answer or not as the script says, recordings and streams give plausible
 * results (docs/testing-your-flows.md "Simulator").
 */
export class SimCalls implements CallControlPort {
  readonly #d: SimCallsDeps;
  readonly #recordings = new Map<string, { id: string; startMs: number }>();

  constructor(deps: SimCallsDeps) {
    this.#d = deps;
    deps.state.hangupListeners.push((call) => this.#recordingEnd(call.id));
  }

  async get(callId: string): Promise<Call | undefined> {
    const call = this.#d.state.calls.get(callId);
    return call ? structuredClone(call) : undefined;
  }

  async answer(callId: string, options?: { early?: boolean }): Promise<void> {
    if (options?.early === true) return this.#d.trace.note({ kind: 'early_media' });
    const before = this.#d.state.calls.get(callId)?.status;
    this.#d.state.answered(callId);
    if (before !== this.#d.state.calls.get(callId)?.status) this.#d.trace.note({ kind: 'answered' });
  }

  talk(_callId: string, request: SpeechRequest, signal: AbortSignal): Promise<void> {
    return this.#media(
      { kind: 'talk', text: request.text, language: request.language },
      speechMs(request.text),
      signal,
    );
  }

  async play(_callId: string, urls: readonly string[], signal: AbortSignal): Promise<void> {
    for (const url of urls) await this.#media({ kind: 'play', url }, playMs(url), signal);
  }

  beep(_callId: string, signal: AbortSignal): Promise<void> {
    return this.#media({ kind: 'beep' }, BEEP_MS, signal);
  }

  async stopMedia(): Promise<void> {}

  async hangup(callId: string, reason: HangupReason): Promise<void> {
    this.#d.state.end(callId, 'local', reason);
  }

  onDtmf(callId: string, listener: (digit: DtmfDigit) => void): () => void {
    return this.#d.state.onDtmf(callId, listener);
  }

  sendDigits(
    _callId: string,
    request: { digits: string; durationMs: number; intervalMs: number },
    signal: AbortSignal,
  ): Promise<void> {
    const ms = request.digits.length * (request.durationMs + request.intervalMs);
    return this.#media({ kind: 'digits_send', digits: request.digits }, ms, signal);
  }

  async recordingStart(callId: string, options: RecordingOptions): Promise<void> {
    const call = this.#d.state.calls.get(callId);
    if (call === undefined || this.#recordings.has(callId)) return;
    const id = this.#d.ids.next();
    this.#recordings.set(callId, { id, startMs: this.#d.clock.now() });
    this.#d.state.update(callId, { recording_id: id, recording_ids: [...call.recording_ids, id] });
    this.#d.trace.event('recording_started', this.#recording(id, callId, 'recording'));
    this.#d.trace.note({ kind: 'recording_started', recording_id: id });
    if (options.duration !== undefined && options.duration > 0)
      this.#d.clock.setTimeout(() => this.#recordingEnd(callId), options.duration * 1000);
  }

  async recordingStop(callId: string): Promise<void> {
    this.#recordingEnd(callId);
  }

  async mediaStreamStart(callId: string, request: MediaStreamRequest): Promise<StartedMediaStream> {
    const now = isoTime(this.#d.clock.now());
    const url = new URL(request.url);
    const stream = {
      id: this.#d.ids.next(),
      customer_id: this.#d.state.calls.get(callId)?.customer_id ?? '',
      reference_type: 'call' as const,
      reference_id: callId,
      activeflow_id: request.activeflow_id,
      status: 'stopped' as const,
      transport: 'websocket' as const,
      encapsulation: 'none' as const,
      external_host: `${url.protocol}//${url.host}${url.pathname}`,
      format: request.format,
      direction_listen: request.listen,
      direction_speak: request.speak,
      stop_reason: 'connect_failed' as const,
      tm_create: now,
      tm_start: now,
      tm_end: now,
    };
    // A simulation opens no socket: the stream ends as one whose bot cannot be reached.
    this.#d.trace.note({ kind: 'media_stream', stop_reason: 'connect_failed' });
    return { stream, ended: Promise.resolve({ reason: 'connect_failed', variables: {} }) };
  }

  async mediaStreamStop(): Promise<void> {}

  async setMute(callId: string, direction: MuteRequestDirection, on: boolean): Promise<void> {
    const call = this.#d.state.calls.get(callId);
    if (call === undefined) return;
    const mute_direction = on ? addMute(call.mute_direction, direction) : removeMute(call.mute_direction, direction);
    this.#d.state.update(callId, { mute_direction });
  }

  async echo(_callId: string, signal: AbortSignal): Promise<void> {
    await untilAborted(signal);
  }

  async *audioFrames(_callId: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    // The simulated caller is silent: the listener waits until it gives up.
    await untilAborted(signal).catch(() => undefined);
  }

  async dial(request: DialCallsRequest): Promise<string[]> {
    const ids: string[] = [];
    for (const destination of request.destinations) {
      const call = this.#d.state.create({
        customer_id: request.customer_id,
        direction: 'outgoing',
        source: request.source,
        destination,
        status: 'dialing',
        ...(request.master_call_id !== undefined ? { master_call_id: request.master_call_id } : {}),
      });
      this.#d.trace.note({ kind: 'dial', target: destination.target, call_id: call.id });
      this.#script(call.id, destination.target);
      ids.push(call.id);
    }
    return ids;
  }

  onProgress(callId: string, listener: (progress: CallProgress) => void): () => void {
    return this.#d.state.onProgress(callId, listener);
  }

  async bridge(a: string, b: string): Promise<void> {
    this.#d.trace.note({ kind: 'bridged', call_ids: [a, b] });
  }

  async unbridge(): Promise<void> {}

  async setAction(callId: string, action: CallAction): Promise<void> {
    this.#d.state.update(callId, { action: structuredClone(action) });
  }

  async flowEnded(callId: string): Promise<void> {
    this.#d.state.end(callId, 'local', '');
  }

  /** Plays the callee's part as the script says: answers after `after_ms`, or ends unanswered. */
  #script(callId: string, target: string): void {
    const entry = this.#d.callees[target] ?? this.#d.callees['*'];
    const { clock, state, trace } = this.#d;
    const outcome = (what: string): void => trace.note({ kind: 'callee', target, call_id: callId, outcome: what });
    state.ringing(callId);
    // Without an entry the callee rings until whoever dialled it gives up.
    if (entry === undefined) return;
    const after = entry.after_ms ?? 0;
    clock.setTimeout(() => {
      if (state.calls.get(callId)?.status === 'hangup') return;
      if (entry.answer === false) {
        const reason = entry.reason ?? 'busy';
        outcome(reason);
        return state.end(callId, 'remote', reason);
      }
      outcome('answered');
      state.answered(callId);
      if (entry.hangup_after_ms !== undefined)
        clock.setTimeout(() => state.end(callId, 'remote', 'normal'), entry.hangup_after_ms);
    }, after);
  }

  async #media(note: Record<string, unknown>, ms: number, signal: AbortSignal): Promise<void> {
    const start = this.#d.clock.now();
    try {
      await waitOn(this.#d.clock, ms, signal);
      this.#d.trace.note({ ...note, duration_ms: ms });
    } catch (err) {
      this.#d.trace.note({ ...note, duration_ms: ms, interrupted: true, after_ms: this.#d.clock.now() - start });
      throw err;
    }
  }

  #recordingEnd(callId: string): void {
    const rec = this.#recordings.get(callId);
    if (rec === undefined) return;
    this.#recordings.delete(callId);
    const ms = this.#d.clock.now() - rec.startMs;
    this.#d.trace.event('recording_finished', { ...this.#recording(rec.id, callId, 'done'), duration_ms: ms });
  }

  #recording(id: string, callId: string, status: string): Record<string, unknown> {
    const call = this.#d.state.calls.get(callId);
    return {
      id,
      customer_id: call?.customer_id ?? '',
      reference_type: 'call',
      reference_id: callId,
      status,
      tm_update: isoTime(this.#d.clock.now()),
    };
  }
}
