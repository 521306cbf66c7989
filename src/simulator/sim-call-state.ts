import { ANSWERED_LOCAL_REASONS, newCall, toPublic } from '../calls/index.ts';
import type { Call, CallStatus, HangupBy, HangupReason, NewCallFields } from '../calls/index.ts';
import type { CallProgress, DtmfDigit } from '../flows/index.ts';
import { isoTime } from '../shared/index.ts';
import type { SeededIds } from './seeded-ids.ts';
import type { Trace } from './trace.ts';
import type { VirtualClock } from './virtual-clock.ts';

const STATUS_EVENTS: Partial<Record<CallStatus, string>> = {
  ringing: 'call_ringing',
  progressing: 'call_progressing',
  terminating: 'call_terminating',
  canceling: 'call_canceling',
  hangup: 'call_hangup',
};

const UNANSWERED: readonly CallStatus[] = ['dialing', 'ringing'];

/**
 * The simulated calls: their status moves as the calls domain makes them (docs/calls.md), each move
 * recorded as the events callbin would send (`call_updated`, then `call_<status>`), and the
 * listeners of progress and DTMF that the flow engine subscribes.
 */
export class SimCallState {
  readonly calls = new Map<string, Call>();
  readonly #clock: VirtualClock;
  readonly #trace: Trace;
  readonly #ids: SeededIds;
  readonly #dtmf = new Map<string, Set<(d: DtmfDigit) => void>>();
  readonly #progress = new Map<string, Set<(p: CallProgress) => void>>();
  /** Told when a call ends (recordings stop; the driver stops the flow of a call its caller hung up). */
  readonly hangupListeners: ((call: Call) => void)[] = [];

  constructor(clock: VirtualClock, trace: Trace, ids: SeededIds) {
    this.#clock = clock;
    this.#trace = trace;
    this.#ids = ids;
  }

  /** A new call (with the next seeded id unless given), recorded as `call_created`. */
  create(fields: Omit<NewCallFields, 'id' | 'type'> & { id?: string }): Call {
    const call = newCall({ ...fields, id: fields.id ?? this.#ids.next(), type: 'flow' }, this.#clock.now());
    this.calls.set(call.id, call);
    this.#trace.event('call_created', toPublic(call));
    const master = fields.master_call_id === undefined ? undefined : this.calls.get(fields.master_call_id);
    if (master !== undefined) this.update(master.id, { chained_call_ids: [...master.chained_call_ids, call.id] });
    return call;
  }

  /** Changes fields of a call (not its status), recorded as `call_updated`. */
  update(callId: string, patch: Partial<Call>): void {
    const call = this.calls.get(callId);
    if (call === undefined) return;
    Object.assign(call, patch, { tm_update: isoTime(this.#clock.now()) });
    this.#trace.event('call_updated', toPublic(call));
  }

  /** Moves a call to `status`, recorded as `call_updated` and `call_<status>`. */
  move(callId: string, status: CallStatus): void {
    const call = this.calls.get(callId);
    if (call === undefined || call.status === status || call.status === 'hangup') return;
    const now = isoTime(this.#clock.now());
    call.status = status;
    call.tm_update = now;
    if (status === 'ringing') call.tm_ringing = now;
    if (status === 'progressing') call.tm_progressing = now;
    if (status === 'hangup') call.tm_hangup = now;
    const snapshot = toPublic(call);
    this.#trace.event('call_updated', snapshot);
    const typed = STATUS_EVENTS[status];
    if (typed !== undefined) this.#trace.event(typed, snapshot);
  }

  /** The far end rings (180). */
  ringing(callId: string): void {
    if (!this.#unanswered(callId)) return;
    this.move(callId, 'ringing');
    this.#tell(callId, { kind: 'ringing', early_media: false });
  }

  /** The call is answered (200 OK either way). */
  answered(callId: string): void {
    if (!this.#unanswered(callId)) return;
    this.move(callId, 'progressing');
    this.#tell(callId, { kind: 'answered' });
  }

  /** Ends the call; `local` is callbin hanging up (an answered call goes through `terminating`, an outgoing ringing one through `canceling`). */
  end(callId: string, by: Exclude<HangupBy, ''>, requested: HangupReason): void {
    const call = this.calls.get(callId);
    if (call === undefined || call.status === 'hangup') return;
    const answered = !UNANSWERED.includes(call.status);
    let reason: HangupReason = requested;
    if (by === 'local' && answered) {
      reason = (ANSWERED_LOCAL_REASONS as readonly string[]).includes(requested) ? requested : 'normal';
      this.move(callId, 'terminating');
    } else if (by === 'local' && call.direction === 'outgoing') {
      reason = requested === '' ? 'cancel' : requested;
      this.move(callId, 'canceling');
    } else if (reason === '') {
      reason = answered ? 'normal' : 'cancel';
    }
    call.hangup_by = by;
    call.hangup_reason = reason;
    this.move(callId, 'hangup');
    this.#tell(callId, { kind: 'hangup', reason });
    for (const listener of this.hangupListeners) listener(call);
  }

  /** A DTMF digit arrives on a live call: `dtmf_received`, then the flow's listeners. */
  press(callId: string, digit: string): void {
    const call = this.calls.get(callId);
    if (call === undefined || call.status === 'hangup') return;
    this.#trace.event('dtmf_received', {
      id: this.#ids.next(),
      customer_id: call.customer_id,
      call_id: callId,
      digit,
      duration: 100,
      tm_create: isoTime(this.#clock.now()),
    });
    for (const listener of [...(this.#dtmf.get(callId) ?? [])]) listener({ digit, durationMs: 100 });
  }

  onDtmf(callId: string, listener: (digit: DtmfDigit) => void): () => void {
    return subscribe(this.#dtmf, callId, listener);
  }

  /** Follows a call; its current state is reported at once. */
  onProgress(callId: string, listener: (progress: CallProgress) => void): () => void {
    const unsubscribe = subscribe(this.#progress, callId, listener);
    const call = this.calls.get(callId);
    if (call?.status === 'progressing') listener({ kind: 'answered' });
    if (call?.status === 'hangup') listener({ kind: 'hangup', reason: call.hangup_reason });
    return unsubscribe;
  }

  #unanswered(callId: string): boolean {
    const status = this.calls.get(callId)?.status;
    return status !== undefined && UNANSWERED.includes(status);
  }

  #tell(callId: string, progress: CallProgress): void {
    this.#trace.activity += 1;
    for (const listener of [...(this.#progress.get(callId) ?? [])]) listener(progress);
  }
}

function subscribe<T>(map: Map<string, Set<(v: T) => void>>, key: string, listener: (v: T) => void): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}
