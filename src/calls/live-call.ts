// LiveCall: one live call's state, operation queue, timers and the narrow methods that change
// them; CallRuntime, what every live call of a CallService shares (call-service.ts).
import { InvalidStateError, NIL_UUID, SerialQueue, lazyChild } from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { isoTime, withChanges } from './call.ts';
import type { Call } from './call.ts';
import { shortId, transition } from './call-status.ts';
import type { HangupCauseFields } from './call-status.ts';
import type { CallStatus } from './call-status-types.ts';
import type { HangupCause } from './hangup-reasons.ts';
import { HoldSignal } from './hold-signal.ts';
import { updatedChange } from './call-events.ts';
import type { CallChange, CallEvent } from './call-events.ts';
import type { CallLeg, CallPorts, IncomingLeg, OutgoingAttempt } from './ports.ts';
import type { CallTimerOptions } from './call-timers.ts';
import { endLiveCall } from './live-call-end.ts';
import type { RouteCandidate } from './routing.ts';
import type { CallTimerName, LiveCallInit, OutgoingPlan } from './live-call-plan.ts';
import { NamedTimers } from './named-timers.ts';

export { DEFAULT_CALL_TIMERS, type CallTimerOptions } from './call-timers.ts';
export type { CallTimerName, LiveCallInit, OutgoingPlan } from './live-call-plan.ts';

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

/**
 * One live call: its current state, its operation queue and its timers (registry -> call -> leg).
 * It owns its runtime state: other files read it through getters and change it only through the
 * narrow methods below, each called from an operation on the call's queue.
 */
export class LiveCall {
  readonly id: string;
  readonly rt: CallRuntime;
  /** An answered call is hung up after this. */
  readonly maxDurationMs: number;
  #call: Call;
  readonly #queue = new SerialQueue();
  readonly #timers: NamedTimers<CallTimerName>;
  #plan: OutgoingPlan | undefined;
  /** Increments with each attempt so events of an abandoned attempt are ignored. */
  #attemptSeq = 0;
  /** A 18x arrived on the running attempt. */
  #sawRinging = false;
  #attempt: OutgoingAttempt | undefined;
  #leg: CallLeg | undefined;
  readonly #incoming: IncomingLeg | undefined;
  #flowStarted = false;
  #holdSignal: HoldSignal | undefined;
  #moh = false;
  #silence = false;
  #logger: Logger | undefined;

  constructor(call: Call, rt: CallRuntime, init: LiveCallInit = {}) {
    this.id = call.id;
    this.#call = call;
    this.rt = rt;
    this.#timers = new NamedTimers(rt);
    this.#plan = init.plan;
    this.#incoming = init.incoming;
    this.#leg = init.incoming;
    this.maxDurationMs = init.maxDurationMs ?? rt.timers.maxDurationMs;
  }

  /** The current committed state (treat as read-only; hand `toPublic()` copies outside). */
  get call(): Readonly<Call> {
    return this.#call;
  }

  /** Log context of this call: every line carries `call_id` (docs/architecture.md "Logs"); built once, on first use. */
  get logger(): Logger {
    this.#logger ??= lazyChild(this.rt.logger, { call_id: this.id });
    return this.#logger;
  }

  /** Runs work nobody awaits; its failure is logged with this call's id. */
  background(work: Promise<unknown>, what: string): void {
    this.rt.background(
      work.catch((err: unknown) => this.logger.error({ err }, `${what} failed`)),
      what,
    );
  }

  /** How the call dials (outgoing calls only). */
  get plan(): OutgoingPlan | undefined {
    return this.#plan;
  }

  /** The running outgoing attempt (before and after answer). */
  get attempt(): OutgoingAttempt | undefined {
    return this.#attempt;
  }

  /** The established (or incoming) dialog. */
  get leg(): CallLeg | undefined {
    return this.#leg;
  }

  /** The incoming INVITE (incoming calls only). */
  get incoming(): IncomingLeg | undefined {
    return this.#incoming;
  }

  /** True once a 18x arrived on the running attempt. */
  get sawRinging(): boolean {
    return this.#sawRinging;
  }

  /** The call's own music-on-hold URL (`moh_url` of a hold or moh request); undefined: the customer's or built-in. */
  mohUrl: string | undefined;

  /** Music on hold is on (heard while the call is held). */
  get moh(): boolean {
    return this.#moh;
  }

  /** The call hears silence instead of any media. */
  get silence(): boolean {
    return this.#silence;
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
    // Past `progressing` the dialog is ending: the far end is told nothing more about hold.
    if (change.call.status !== 'progressing') this.#holdSignal?.parentClosed();
    this.rt.published(change.events);
  }

  /** Commits a field change (no status change), stamping `tm_update`. */
  async update(patch: Partial<Call>): Promise<void> {
    await this.commit(withChanges(this.#call, { ...patch, tm_update: isoTime(this.rt.clock.now()) }));
  }

  /** Moves the status through the table (with `patch` applied in the same change); false when refused. */
  async move(to: CallStatus, options: { patch?: Partial<Call>; hangup?: HangupCauseFields } = {}): Promise<boolean> {
    const ctx = {
      nowMs: this.rt.clock.now(),
      logger: this.rt.logger,
      ...(options.hangup ? { hangup: options.hangup } : {}),
    };
    const next = transition(options.patch ? withChanges(this.#call, options.patch) : this.#call, to, ctx);
    if (!next) return false;
    await this.commit(next);
    return true;
  }

  /**
   * Moves the call to `hangup` with its outcome (set once, with `tm_hangup`; the running route
   * attempt closed), then releases what it held: timers, the active recording, the activeflow;
   * finally tells the service (registry, chained-call cascade). No-op when the table refuses.
   */
  async endWith(cause: HangupCause | HangupCauseFields, patch: Partial<Call> = {}): Promise<void> {
    if (await endLiveCall(this, cause, patch)) this.rt.hungUp(this);
  }

  /**
   * The service that owns this call closed (shutdown): timers stop and the hold signal sends
   * nothing more. The call stays as stored (reconciled at the next start) and the service is not
   * called back.
   */
  parentClosed(): void {
    this.clearTimers();
    this.#holdSignal?.parentClosed();
  }

  /** Sends a new outgoing attempt through `dial`, which gets the attempt's sequence number for its events. */
  beginAttempt(dial: (seq: number) => OutgoingAttempt): void {
    this.#attemptSeq += 1;
    this.#sawRinging = false;
    this.#attempt = dial(this.#attemptSeq);
  }

  /** True while attempt `seq` is the running one (events of an abandoned attempt are ignored). */
  isCurrentAttempt(seq: number): boolean {
    return this.#plan !== undefined && this.#attemptSeq === seq;
  }

  /** A 18x arrived on the running attempt. */
  markRinging(): void {
    this.#sawRinging = true;
  }

  /** Records how far along its routes the call got: `nextIndex`, and the route now tried when there is one. */
  advanceRoute(nextIndex: number, candidate: RouteCandidate | undefined): void {
    if (!this.#plan) return;
    this.#plan = candidate ? { ...this.#plan, nextIndex, current: candidate } : { ...this.#plan, nextIndex };
  }

  /** A 2xx established `leg` (the answering attempt's dialog). */
  markAnswered(leg: CallLeg): void {
    this.#leg = leg;
  }

  /** Starts the call's activeflow once (at answer, at ringing with `early_execution`, at once for incoming calls). */
  startFlow(): void {
    const activeflowId = this.#call.activeflow_id;
    if (this.#flowStarted || activeflowId === NIL_UUID) return;
    this.#flowStarted = true;
    // Not awaited: the flow's first actions call back into this call's queue, which this operation holds.
    this.background(this.rt.flows.execute(activeflowId), `execute activeflow ${activeflowId}`);
  }

  /** The activeflow was replaced (redirect); returns whether the previous one had been started. */
  replaceFlow(): boolean {
    const wasStarted = this.#flowStarted;
    this.#flowStarted = false;
    return wasStarted;
  }

  /** Records that music on hold (`moh`) or silence was turned on or off. */
  recordMedia(what: 'moh' | 'silence', on: boolean): void {
    if (what === 'moh') this.#moh = on;
    else this.#silence = on;
  }

  /** Tells the far end of `leg` about the hold state `on`, in the background, one re-INVITE at a time (hold-signal.ts). */
  signalHold(leg: CallLeg, on: boolean): void {
    if (this.#holdSignal?.leg !== leg) {
      this.#holdSignal?.parentClosed();
      this.#holdSignal = new HoldSignal(leg, {
        logger: this.logger,
        background: (work, what) => this.background(work, what),
        name: shortId(this.id),
      });
    }
    this.#holdSignal.want(on);
  }

  /** Starts (or restarts) timer `name`; when it fires, `op` runs on this call's queue. */
  startTimer(name: CallTimerName, ms: number, op: () => Promise<void>): void {
    this.#timers.start(name, ms, () => this.background(this.run(op), `call ${shortId(this.id)}: ${name} timer`));
  }

  /** Cancels timer `name` if it is pending. */
  clearTimer(name: CallTimerName): void {
    this.#timers.clear(name);
  }

  /** Cancels every pending timer (at hangup and on shutdown). */
  clearTimers(): void {
    this.#timers.clearAll();
  }

  /** Throws 409 `CALL_ALREADY_HANGUP` once the call ended. */
  requireLive(): void {
    if (this.#call.status === 'hangup')
      throw new InvalidStateError(`call ${this.id} is already hung up`, 'CALL_ALREADY_HANGUP');
  }

  /** Throws 409 unless the call is answered (`progressing`). */
  requireProgressing(what: string): void {
    this.requireLive();
    if (this.#call.status !== 'progressing') {
      throw new InvalidStateError(
        `${what} needs an answered call; call ${this.id} is ${this.#call.status}`,
        'CALL_STATE_INVALID',
      );
    }
  }

  /** The established leg; throws 409 when there is none yet. */
  requireLeg(): CallLeg {
    const leg = this.#leg;
    if (!leg) throw new InvalidStateError(`call ${this.id} has no established leg`, 'CALL_STATE_INVALID');
    return leg;
  }
}
