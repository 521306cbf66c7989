import { setImmediate as nextTurn } from 'node:timers/promises';
import { addMute, newCall, removeMute } from '../../calls/index.ts';
import type {
  Call,
  CallAction,
  HangupReason,
  MediaStreamRequest,
  MediaStreamStopReason,
  MuteRequestDirection,
  NewCallFields,
  RecordingOptions,
  StartedMediaStream,
} from '../../calls/index.ts';
import { snapshot } from '../activeflow.ts';
import { type FakeStream, startFakeStream } from './fake-streams.ts';
import type { Activeflow, ActiveflowEvent } from '../activeflow.ts';
import type * as ports from '../ports.ts';

/** Lets event-loop turns pass until `predicate` holds (no wall-clock waits); throws after `maxTurns`. */
export async function waitFor(predicate: () => boolean, what = 'condition', maxTurns = 5000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (predicate()) return;
    await nextTurn();
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A promise whose resolution the test controls. */
export class Gate {
  open!: () => void;
  readonly promise = new Promise<void>((resolve) => (this.open = resolve));
}

/** An in-memory ActiveflowStorePort keeping every row and the outbox of events in order. */
export class MemoryActiveflowStore implements ports.ActiveflowStorePort {
  readonly rows = new Map<string, Activeflow>();
  readonly events: ActiveflowEvent[] = [];
  /** When set, each save waits for it (to prove one operation at a time). */
  gate: Gate | undefined;
  /** Saves running now, and the most seen at once. */
  inFlight = 0;
  maxInFlight = 0;

  async save(activeflow: Activeflow, events: readonly ActiveflowEvent[]): Promise<void> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate) await this.gate.promise;
      this.rows.set(activeflow.id, snapshot(activeflow));
      // The engine hands over snapshots it never changes again, so events are kept as given.
      this.events.push(...events);
    } finally {
      this.inFlight -= 1;
    }
  }

  async get(id: string): Promise<Activeflow | undefined> {
    const row = this.rows.get(id);
    return row ? snapshot(row) : undefined;
  }

  async listRunning(): Promise<Activeflow[]> {
    return [...this.rows.values()].filter((a) => a.status === 'running').map((a) => snapshot(a));
  }

  /** The events carrying an error. */
  errors(): NonNullable<ActiveflowEvent['data']['error']>[] {
    return this.events.flatMap((e) => (e.data.error ? [e.data.error] : []));
  }
}

/** Stored flows in memory. */
export class MemoryFlows implements ports.FlowLookupPort {
  readonly flows = new Map<string, ports.StoredFlow>();

  async getFlow(customerId: string, flowId: string): Promise<ports.StoredFlow | undefined> {
    const flow = this.flows.get(flowId);
    return flow && flow.customer_id === customerId ? flow : undefined;
  }
}

/** One media operation in progress on FakeCallControl. */
export interface PendingOp {
  op: string;
  callId: string;
  args: unknown;
  signal: AbortSignal;
  aborted: boolean;
  done: boolean;
  finish(err?: unknown): void;
}

/** An in-memory CallControlPort: records every operation; playback finishes at once unless listed in `blocking`, echo and audio last until aborted. */
export class FakeCallControl implements ports.CallControlPort {
  readonly calls = new Map<string, Call>();
  readonly log: string[] = [];
  readonly ops: PendingOp[] = [];
  readonly dials: ports.DialCallsRequest[] = [];
  readonly actions: CallAction[] = [];
  readonly flowEndedCalls: string[] = [];
  /** Operations (`talk`, `play`, `beep`, `echo`, `sendDigits`) that wait until the test finishes them. */
  readonly blocking = new Set<string>();
  /** Audio frames `audioFrames` yields per call; afterwards it waits for the abort. */
  readonly audio = new Map<string, Int16Array[]>();
  readonly #dtmf = new Map<string, Set<(d: ports.DtmfDigit) => void>>();
  readonly #progress = new Map<string, Set<(p: ports.CallProgress) => void>>();
  /** Media streams started, in order. */
  readonly streams: FakeStream[] = [];
  /** When set, the next streams fail to connect with this reason. */
  streamFailure: MediaStreamStopReason | undefined;
  #calleeSeq = 0;

  /** Adds a call the flow runs for. */
  addCall(fields: Partial<NewCallFields> & { id: string }, status: Call['status'] = 'progressing'): Call {
    const base: NewCallFields = {
      customer_id: 'c1',
      type: 'flow',
      direction: 'incoming',
      source: { type: 'tel', target: '+15550001', target_name: 'Alice', name: '', detail: '' },
      destination: { type: 'tel', target: '+15550002', target_name: '', name: '', detail: '' },
      status: 'ringing',
      ...fields,
    };
    const call = { ...newCall(base, 0), status };
    this.calls.set(call.id, call);
    return call;
  }

  /** Someone pressed a key on the call. */
  pressDigit(callId: string, digit: string): void {
    for (const listener of this.#dtmf.get(callId) ?? []) listener({ digit, durationMs: 100 });
  }

  /** A callee's progress (connect tests play the far ends). */
  progress(callId: string, progress: ports.CallProgress): void {
    const call = this.calls.get(callId);
    if (call && progress.kind === 'answered') call.status = 'progressing';
    if (call && progress.kind === 'ringing') call.status = 'ringing';
    if (call && progress.kind === 'hangup') {
      if (call.status === 'hangup') return;
      Object.assign(call, { status: 'hangup', hangup_reason: progress.reason });
    }
    for (const listener of [...(this.#progress.get(callId) ?? [])]) listener(progress);
  }

  /** The pending operations named `op` that are still running. */
  running(op: string): PendingOp[] {
    return this.ops.filter((o) => o.op === op && !o.done);
  }

  async get(callId: string): Promise<Call | undefined> {
    const call = this.calls.get(callId);
    return call ? structuredClone(call) : undefined;
  }

  async answer(callId: string): Promise<void> {
    this.log.push(`answer ${callId}`);
    const call = this.calls.get(callId);
    if (call) call.status = 'progressing';
  }

  talk(callId: string, request: ports.SpeechRequest, signal: AbortSignal): Promise<void> {
    return this.#wait('talk', callId, request, signal);
  }

  play(callId: string, urls: readonly string[], signal: AbortSignal): Promise<void> {
    return this.#wait('play', callId, urls, signal);
  }

  beep(callId: string, signal: AbortSignal): Promise<void> {
    return this.#wait('beep', callId, undefined, signal);
  }

  async stopMedia(callId: string): Promise<void> {
    this.log.push(`stopMedia ${callId}`);
  }

  async hangup(callId: string, reason: HangupReason): Promise<void> {
    this.log.push(`hangup ${callId} ${reason}`);
    const call = this.calls.get(callId);
    if (call && call.status !== 'hangup')
      this.progress(callId, {
        kind: 'hangup',
        reason: reason === '' ? (call.status === 'progressing' ? 'normal' : 'cancel') : reason,
      });
  }

  onDtmf(callId: string, listener: (digit: ports.DtmfDigit) => void): () => void {
    return this.#subscribe(this.#dtmf, callId, listener);
  }

  sendDigits(
    callId: string,
    request: { digits: string; durationMs: number; intervalMs: number },
    signal: AbortSignal,
  ): Promise<void> {
    return this.#wait('sendDigits', callId, request, signal);
  }

  async recordingStart(callId: string, options: RecordingOptions): Promise<void> {
    this.log.push(`recordingStart ${callId} ${JSON.stringify(options)}`);
  }

  async recordingStop(callId: string): Promise<void> {
    this.log.push(`recordingStop ${callId}`);
  }

  async mediaStreamStart(callId: string, request: MediaStreamRequest): Promise<StartedMediaStream> {
    this.log.push(`mediaStreamStart ${callId}`);
    const started = startFakeStream(this.streams.length + 1, callId, request);
    this.streams.push(started.entry);
    if (this.streamFailure !== undefined) started.entry.end(this.streamFailure);
    return started.result;
  }

  async mediaStreamStop(callId: string): Promise<void> {
    this.log.push(`mediaStreamStop ${callId}`);
    for (const entry of this.streams) if (entry.callId === callId) entry.end('stopped');
  }

  async setMute(callId: string, direction: MuteRequestDirection, on: boolean): Promise<void> {
    this.log.push(`${on ? 'mute' : 'unmute'} ${callId} ${direction}`);
    const call = this.calls.get(callId);
    if (call)
      call.mute_direction = on ? addMute(call.mute_direction, direction) : removeMute(call.mute_direction, direction);
  }

  echo(callId: string, signal: AbortSignal): Promise<void> {
    return this.#wait('echo', callId, undefined, signal);
  }

  async *audioFrames(callId: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    for (const frame of this.audio.get(callId) ?? []) {
      if (signal.aborted) return;
      yield frame;
    }
    await this.#wait('audio', callId, undefined, signal).catch(() => undefined);
  }

  async dial(request: ports.DialCallsRequest): Promise<string[]> {
    this.dials.push(structuredClone(request));
    return request.destinations.map((destination) => {
      this.#calleeSeq += 1;
      const id = `callee-${this.#calleeSeq}`;
      const master = request.master_call_id ?? '';
      this.addCall(
        {
          id,
          direction: 'outgoing',
          destination,
          source: request.source,
          ...(master ? { master_call_id: master } : {}),
          status: 'dialing',
        },
        'dialing',
      );
      return id;
    });
  }

  onProgress(callId: string, listener: (progress: ports.CallProgress) => void): () => void {
    const unsubscribe = this.#subscribe(this.#progress, callId, listener);
    const call = this.calls.get(callId);
    if (call?.status === 'progressing') listener({ kind: 'answered' });
    if (call?.status === 'hangup') listener({ kind: 'hangup', reason: call.hangup_reason });
    return unsubscribe;
  }

  async bridge(a: string, b: string): Promise<void> {
    this.log.push(`bridge ${a} ${b}`);
  }

  async unbridge(a: string, b: string): Promise<void> {
    this.log.push(`unbridge ${a} ${b}`);
  }

  async setAction(_callId: string, action: CallAction): Promise<void> {
    this.actions.push(action);
  }

  async flowEnded(callId: string, activeflowId: string): Promise<void> {
    this.flowEndedCalls.push(`${callId} ${activeflowId}`);
  }

  #subscribe<T>(map: Map<string, Set<(v: T) => void>>, callId: string, listener: (v: T) => void): () => void {
    let set = map.get(callId);
    if (!set) map.set(callId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  #wait(op: string, callId: string, args: unknown, signal: AbortSignal): Promise<void> {
    this.log.push(`${op} ${callId}`);
    return new Promise((resolve, reject) => {
      const pending: PendingOp = {
        op,
        callId,
        args,
        signal,
        aborted: false,
        done: false,
        finish: (err) => {
          if (pending.done) return;
          pending.done = true;
          signal.removeEventListener('abort', onAbort);
          if (err === undefined) resolve();
          else reject(err);
        },
      };
      const onAbort = (): void => {
        pending.aborted = true;
        pending.finish(signal.reason);
      };
      this.ops.push(pending);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      // Echo and audio streams last until aborted by design.
      if (!this.blocking.has(op) && op !== 'audio' && op !== 'echo') pending.finish();
    });
  }
}

/** A ConferencePort whose joins last until `leave()` or the abort. */
export class FakeConferences implements ports.ConferencePort {
  readonly joined: {
    callId: string;
    conferenceId: string;
    leave: () => void;
    signal: AbortSignal;
    joiner: ports.ConferenceJoiner | undefined;
  }[] = [];
  /** The pre/post flows per conference id (absent: none). */
  readonly flows = new Map<string, ports.ConferenceFlows>();

  async flowsOf(_customerId: string, conferenceId: string): Promise<ports.ConferenceFlows | undefined> {
    return this.flows.get(conferenceId);
  }

  join(callId: string, conferenceId: string, signal: AbortSignal, joiner?: ports.ConferenceJoiner): Promise<void> {
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      this.joined.push({ callId, conferenceId, leave: resolve, signal, joiner });
    });
  }
}

/** An HttpPort answering through test-provided functions. */
export class FakeHttp implements ports.HttpPort {
  readonly sent: ports.WebhookRequest[] = [];
  readonly fetched: ports.FetchRequest[] = [];
  sendImpl: (request: ports.WebhookRequest, signal: AbortSignal) => Promise<{ status: number }> = async () => ({
    status: 200,
  });
  fetchImpl: (request: ports.FetchRequest, signal: AbortSignal) => Promise<unknown> = async () => [];

  send(request: ports.WebhookRequest, signal: AbortSignal): Promise<{ status: number }> {
    this.sent.push(request);
    return this.sendImpl(request, signal);
  }

  fetchJson(request: ports.FetchRequest, signal: AbortSignal): Promise<unknown> {
    this.fetched.push(request);
    return this.fetchImpl(request, signal);
  }
}
