// CallService: the registry of this process's live calls, their creation (outgoing and incoming),
// queries, event subscription and background work. The commands on one call are in
// call-commands.ts (its base class), the crash-safety reconciliation in call-reconcile.ts.
import {
  InvalidStateError,
  NIL_UUID,
  NotFoundError,
  TypedEmitter,
  silentLogger,
  systemClock,
} from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { toPublic } from './call.ts';
import type { Call } from './call.ts';
import { CallCommands } from './call-commands.ts';
import * as controls from './call-controls.ts';
import { hangupLocally } from './call-ending.ts';
import type { CallEvent } from './call-events.ts';
import { onFlowEnded } from './call-flow.ts';
import { reconcileCalls } from './call-reconcile.ts';
import type { ReconcileOptions } from './call-reconcile.ts';
import { shortId } from './call-status.ts';
import { buildIncoming, openIncoming } from './incoming-call.ts';
import type { IncomingCallRequest } from './incoming-call.ts';
import { DEFAULT_CALL_TIMERS } from './live-call.ts';
import type { CallRuntime, CallTimerOptions, LiveCall } from './live-call.ts';
import type { MediaStream, MediaStreamRequest, StartedMediaStream } from './media-stream.ts';
import { MediaStreamControls } from './media-stream-controls.ts';
import type { MediaListener } from './media-stream-controls.ts';
import { createOutgoingCalls, prepareOutgoing, requireChainable } from './outgoing-call.ts';
import type { OutgoingCallRequest } from './outgoing-call.ts';
import { dialOutgoing } from './outgoing-dialer.ts';
import type { CallPorts } from './ports.ts';
import type { TransferStorePort } from './transfer.ts';
import { TransferService, memoryTransferStore } from './transfer-service.ts';

export type { DigitsCommand } from './call-commands.ts';

/** What CallService is built from: the ports, and optionally time, logging and timer lengths. */
export interface CallServiceDeps extends CallPorts {
  clock?: Clock;
  logger?: Logger;
  timers?: Partial<CallTimerOptions>;
  /** Where transfer events go (default: in-process listeners only). */
  transferStore?: TransferStorePort;
}

/** 500 Server Internal Error for an incoming call that could not be stored. */
const SERVER_ERROR_SIP_STATUS = 500;

/**
 * The live calls of this process (registry -> call -> leg) and every operation on them. Each
 * operation on one call runs on that call's SerialQueue, so an API hangup, a remote BYE and a flow
 * action never interleave. Changes are stored with their events before anyone in-process is told.
 */
export class CallService extends CallCommands {
  readonly #live = new Map<string, LiveCall>();
  readonly #emitter: TypedEmitter<{ event: [CallEvent] }>;
  readonly #background = new Set<Promise<unknown>>();
  readonly #rt: CallRuntime;
  readonly #streams: MediaStreamControls;
  /** Blind and attended transfers of this process's calls (`/transfers`, SIP REFER). */
  readonly transfers: TransferService;

  constructor(deps: CallServiceDeps) {
    super();
    const {
      clock = systemClock,
      logger = silentLogger,
      timers = {},
      transferStore = memoryTransferStore,
      ...ports
    } = deps;
    this.#emitter = new TypedEmitter({
      onListenerError: (err) => logger.error({ err }, 'a call event listener threw'),
    });
    this.#rt = {
      ...ports,
      clock,
      logger,
      timers: { ...DEFAULT_CALL_TIMERS, ...timers },
      hungUp: (live) => this.#hungUp(live),
      published: (events) => events.forEach((e) => this.#emitter.safeEmit('event', e)),
      background: (work, what) => this.#track(work, what),
    };
    this.transfers = new TransferService({ calls: this, media: ports.media, store: transferStore, clock, logger });
    this.#streams = new MediaStreamControls({
      rt: this.#rt,
      live: (id) => this.#live.get(id),
      notLiveError: (id) => this.#notLiveError(id),
    });
  }

  /** Subscribes to committed call events, in order (a listener that throws is logged, never fails the call's operation); returns the unsubscribe function. */
  onEvent(listener: (event: CallEvent) => void): () => void {
    return this.#emitter.on('event', listener);
  }

  /** Validates, then creates one `dialing` call per destination (chained onto the master if given) and dials them. */
  async createOutgoing(request: OutgoingCallRequest): Promise<Call[]> {
    const prepared = await prepareOutgoing(this.#rt, request);
    const masterId = request.master_call_id;
    const master =
      masterId === undefined || masterId === NIL_UUID
        ? undefined
        : await this.#liveOrThrow(masterId, request.customer_id);
    const create = async (): Promise<Call[]> => {
      const calls = await createOutgoingCalls(this.#rt, prepared, master);
      for (const live of calls) {
        this.#live.set(live.id, live);
        live.background(
          live.run(() => dialOutgoing(live)),
          `dial call ${shortId(live.id)}`,
        );
      }
      return calls.map((c) => toPublic(c.call));
    };
    if (!master) return create();
    // Fail fast when the master is already ending; the check is repeated on its queue, where it counts.
    requireChainable(master.call);
    return master.run(create);
  }

  /** Takes an incoming INVITE: the call is created `ringing`, 180 is sent and its flow starts at once. */
  async acceptIncoming(request: IncomingCallRequest): Promise<Call> {
    const live = await buildIncoming(this.#rt, request);
    this.#live.set(live.id, live);
    try {
      await live.run(() => openIncoming(live));
    } catch (err) {
      this.#live.delete(live.id);
      live.clearTimers();
      live.background(
        request.leg.reject(SERVER_ERROR_SIP_STATUS),
        `reject incoming call ${shortId(live.id)} after a failed creation`,
      );
      live.background(
        this.#rt.flows.stop(live.call.activeflow_id),
        `stop activeflow of uncreated call ${shortId(live.id)}`,
      );
      throw err;
    }
    return toPublic(live.call);
  }

  /** The call as it is now: live from memory, otherwise from the store. */
  async get(callId: string): Promise<Call | undefined> {
    const live = this.#live.get(callId);
    return live ? toPublic(live.call) : this.#rt.store.get(callId);
  }

  /** The media leg id of a live call's signalling leg (undefined before it has one or after hangup). */
  legId(callId: string): string | undefined {
    return this.#live.get(callId)?.leg?.leg_id;
  }

  /** Live outgoing calls not yet answered or failed (dialing, ringing): set-ups for docs/security.md "Overload". */
  outgoingSetups(): number {
    let n = 0;
    for (const { call } of this.#live.values())
      if (call.direction === 'outgoing' && (call.status === 'dialing' || call.status === 'ringing')) n++;
    return n;
  }

  /** Every live call of this process. */
  listLive(): Call[] {
    return [...this.#live.values()].map((l) => toPublic(l.call));
  }

  /** A customer was deleted: every live call of it hangs up (local) in the background; returns how many. */
  hangupCustomer(customerId: string): number {
    const owned = [...this.#live.values()].filter((live) => live.call.customer_id === customerId);
    for (const live of owned) {
      live.background(
        live.run(() => (live.call.status === 'hangup' ? undefined : hangupLocally(live))),
        `hangup of ${shortId(live.id)} (customer deleted)`,
      );
    }
    return owned.length;
  }

  /** `POST /calls/{id}/external_media` and the flow's `external_media_start` (media-stream-controls.ts). */
  startMediaStream(callId: string, request: MediaStreamRequest): Promise<StartedMediaStream> {
    return this.#streams.start(callId, request);
  }

  /** `DELETE /calls/{id}/external_media`: one stream, or all of the call's; resolves with those stopped. */
  stopMediaStream(callId: string, streamId?: string): Promise<MediaStream[]> {
    return this.#streams.stop(callId, streamId);
  }

  /** `GET /calls/{id}/external_media`: the live streams (none for a call not live here). */
  listMediaStreams(callId: string): Promise<MediaStream[]> {
    return this.#streams.list(callId);
  }

  /** A read-only listener of the call's leg (`GET /calls/{id}/media_stream`), undefined without a live leg here. */
  mediaListener(callId: string): MediaListener | undefined {
    return this.#streams.listener(callId);
  }

  /** The flows module reports that an activeflow ended by itself: its call hangs up. */
  async flowEnded(callId: string, activeflowId: string): Promise<void> {
    const live = this.#live.get(callId);
    if (live) await live.run(() => onFlowEnded(live, activeflowId));
  }

  /** The recordings module reports that a recording ended by itself. */
  async recordingEnded(callId: string, recordingId: string): Promise<void> {
    const live = this.#live.get(callId);
    if (live) await live.run(() => controls.onRecordingEnded(live, recordingId));
  }

  /**
   * Crash safety: every stored live call this process does not own is moved to hangup (local,
   * failed). `lastAliveMs` is when the process that served them was last known alive (its
   * heartbeat): the call ends then, or at its own last change when that came later — not at this
   * restart, which would bill the time the process was down. With `nodeId`, only the calls of that
   * node: this node's previous incarnation at start-up, or a dead node (docs/cluster.md "Node health").
   */
  reconcile(options: ReconcileOptions = {}): Promise<Call[]> {
    return reconcileCalls(this.#rt, (id) => this.#live.has(id), options);
  }

  /** Resolves once no background work (queued signalling events, timers' work, cascades) is left. */
  async whenIdle(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  /** Shutdown: every live call is told its parent closed; they stay as stored, reconciled at the next start. */
  close(): void {
    for (const live of this.#live.values()) live.parentClosed();
  }

  protected override async runOnCall(callId: string, op: (live: LiveCall) => Promise<unknown>): Promise<Call> {
    const live = this.#live.get(callId);
    if (!live) throw await this.#notLiveError(callId);
    return live.run(async () => {
      await op(live);
      return toPublic(live.call);
    });
  }

  async #liveOrThrow(callId: string, customerId: string): Promise<LiveCall> {
    const live = this.#live.get(callId);
    if (live && live.call.customer_id === customerId) return live;
    const stored = live ? undefined : await this.#rt.store.get(callId);
    if (!stored || stored.customer_id !== customerId)
      throw new NotFoundError('CALL_NOT_FOUND', `call ${callId} does not exist`);
    throw new InvalidStateError(
      `master call ${callId} is ${stored.status}: calls can be chained only while it is dialing, ringing or progressing`,
      'CALL_STATE_INVALID',
    );
  }

  async #notLiveError(callId: string): Promise<Error> {
    const stored = await this.#rt.store.get(callId);
    if (!stored) return new NotFoundError('CALL_NOT_FOUND', `call ${callId} does not exist`);
    if (stored.status === 'hangup')
      return new InvalidStateError(`call ${callId} is already hung up`, 'CALL_ALREADY_HANGUP');
    return new InvalidStateError(`call ${callId} is not handled by this process`, 'CALL_STATE_INVALID');
  }

  #hungUp(live: LiveCall): void {
    this.#live.delete(live.id);
    for (const chainedId of live.call.chained_call_ids) {
      const chained = this.#live.get(chainedId);
      if (chained)
        chained.background(
          chained.run(() => (chained.call.status === 'hangup' ? undefined : hangupLocally(chained))),
          `cascade hangup of ${shortId(chainedId)}`,
        );
    }
  }

  #track(work: Promise<unknown>, what: string): void {
    const tracked = work.catch((err: unknown) => this.#rt.logger.error({ err }, `${what} failed`));
    this.#background.add(tracked);
    void tracked.finally(() => this.#background.delete(tracked));
  }
}
