import { InvalidStateError, SerialQueue } from '../shared/index.ts';
import type { Clock, Logger, TimerHandle } from '../shared/index.ts';
import { isoTime, withChanges } from './call.ts';
import type { Call } from './call.ts';
import { shortId, transition } from './call-status.ts';
import type { CallStatus, HangupCauseFields } from './call-status.ts';
import type { HoldSignal } from './hold-signal.ts';
import { updatedChange } from './call-events.ts';
import type { CallChange, CallEvent } from './call-events.ts';
import type { CallLeg, CallPorts, IncomingLeg, OutgoingAttempt } from './ports.ts';
import type { RouteCandidate } from './routing.ts';

/** Timer lengths of the call lifecycle (calls.md "Timers"). */
export interface CallTimerOptions {
  /** An outgoing call not answered within this is CANCELled (default 60 s). */
  dialTimeoutMs: number;
  /** An answered call is hung up after this (default 1 h). */
  maxDurationMs: number;
  /** An incoming call whose flow has not answered within this is rejected 480 (default 60 s). */
  incomingAnswerTimeoutMs: number;
}

/** The defaults of calls.md. */
export const DEFAULT_CALL_TIMERS: CallTimerOptions = {
  dialTimeoutMs: 60_000,
  maxDurationMs: 3_600_000,
  incomingAnswerTimeoutMs: 60_000,
};

/** What every live call shares: the ports, time, logging, and the service's hooks. */
export interface CallRuntime extends CallPorts {
  clock: Clock;
  logger: Logger;
  timers: CallTimerOptions;
  /** Told once a call's hangup is committed (registry removal, chained-call cascade). */
  hungUp(call: LiveCall): void;
  /** Told of committed events, in order, for in-process subscribers. */
  published(events: readonly CallEvent[]): void;
  /** Runs work that nobody awaits, logging its failure. */
  background(work: Promise<unknown>, what: string): void;
}

/** How an outgoing call reaches its destination, and how far it got. */
export interface OutgoingPlan {
  target: 'tel' | 'sip' | 'extension';
  /** The routes in order (tel only); `nextIndex` is the first not yet tried. */
  candidates: readonly RouteCandidate[];
  nextIndex: number;
  /** The route of the running attempt (tel only). */
  current?: RouteCandidate;
  contacts: readonly string[];
  earlyExecution: boolean;
  anonymous: boolean;
  dialTimeoutMs: number;
  /** Increments with each attempt so events of an abandoned attempt are ignored. */
  attemptSeq: number;
  /** A 18x arrived on the running attempt. */
  sawRinging: boolean;
}

/** Runtime state of a live call that is not part of the Call object. */
export interface LiveCallState {
  plan?: OutgoingPlan;
  /** The running outgoing attempt (before and after answer). */
  attempt?: OutgoingAttempt;
  /** The established (or incoming) dialog. */
  leg?: CallLeg;
  /** The incoming INVITE, for ring/answer/reject (incoming calls only). */
  incoming?: IncomingLeg;
  flowStarted: boolean;
  /** The hold state the far end was told of by re-INVITE, and what it is to be told. */
  holdSignal?: HoldSignal;
  moh: boolean;
  silence: boolean;
  maxDurationMs: number;
}

/** The named timers of a call. */
export type CallTimerName = 'dial' | 'maxDuration' | 'answer';

/** One live call: its current state, its operation queue and its timers (registry -> call -> leg). */
export class LiveCall {
  readonly id: string;
  readonly rt: CallRuntime;
  readonly state: LiveCallState;
  #call: Call;
  readonly #queue = new SerialQueue();
  readonly #timers = new Map<CallTimerName, TimerHandle>();

  constructor(call: Call, rt: CallRuntime, state: Partial<LiveCallState> = {}) {
    this.id = call.id;
    this.#call = call;
    this.rt = rt;
    this.state = { flowStarted: false, moh: false, silence: false, maxDurationMs: rt.timers.maxDurationMs, ...state };
  }

  /** The current committed state (treat as read-only; hand `toPublic()` copies outside). */
  get call(): Readonly<Call> {
    return this.#call;
  }

  /** Log context of this call. */
  get logger(): Logger {
    return this.rt.logger.child({ call_id: this.id });
  }

  /** Runs `op` after every earlier operation of this call settled (one operation at a time). */
  run<T>(op: () => Promise<T> | T): Promise<T> {
    return this.#queue.run(op);
  }

  /** Adopts a state already written by a batch save (creation, chaining). */
  adopt(change: CallChange): void {
    this.#call = change.call;
  }

  /** Writes `next` with its events, then makes it current and publishes them; a hung-up call never changes again. */
  async commit(next: Call): Promise<void> {
    this.requireLive();
    const change = updatedChange(this.#call, next);
    await this.rt.store.save([change]);
    this.#call = change.call;
    this.rt.published(change.events);
  }

  /** Commits a field change (no status change), stamping `tm_update`. */
  async update(patch: Partial<Call>): Promise<void> {
    await this.commit(withChanges(this.#call, { ...patch, tm_update: isoTime(this.rt.clock.now()) }));
  }

  /** Moves the status through the table (with `patch` applied in the same change); false when refused. */
  async move(to: CallStatus, options: { patch?: Partial<Call>; hangup?: HangupCauseFields } = {}): Promise<boolean> {
    const ctx = { nowMs: this.rt.clock.now(), logger: this.rt.logger, ...(options.hangup ? { hangup: options.hangup } : {}) };
    const next = transition(options.patch ? withChanges(this.#call, options.patch) : this.#call, to, ctx);
    if (!next) return false;
    await this.commit(next);
    return true;
  }

  /** Starts (or restarts) timer `name`; when it fires, `op` runs on this call's queue. */
  startTimer(name: CallTimerName, ms: number, op: () => Promise<void>): void {
    this.clearTimer(name);
    const handle = this.rt.clock.setTimeout(() => {
      this.#timers.delete(name);
      this.rt.background(this.run(op), `call ${shortId(this.id)}: ${name} timer`);
    }, ms);
    this.#timers.set(name, handle);
  }

  /** Cancels timer `name` if it is pending. */
  clearTimer(name: CallTimerName): void {
    this.rt.clock.clearTimeout(this.#timers.get(name));
    this.#timers.delete(name);
  }

  /** Cancels every pending timer (at hangup and on shutdown). */
  clearTimers(): void {
    for (const name of [...this.#timers.keys()]) this.clearTimer(name);
  }

  /** Throws 409 `CALL_ALREADY_HANGUP` once the call ended. */
  requireLive(): void {
    if (this.#call.status === 'hangup') throw new InvalidStateError(`call ${this.id} is already hung up`, 'CALL_ALREADY_HANGUP');
  }

  /** Throws 409 unless the call is answered (`progressing`). */
  requireProgressing(what: string): void {
    this.requireLive();
    if (this.#call.status !== 'progressing') {
      throw new InvalidStateError(`${what} needs an answered call; call ${this.id} is ${this.#call.status}`, 'CALL_STATE_INVALID');
    }
  }

  /** The established leg; throws 409 when there is none yet. */
  requireLeg(): CallLeg {
    const leg = this.state.leg;
    if (!leg) throw new InvalidStateError(`call ${this.id} has no established leg`, 'CALL_STATE_INVALID');
    return leg;
  }
}
