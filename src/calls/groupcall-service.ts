import {
  InvalidStateError,
  NIL_UUID,
  NotFoundError,
  SerialQueue,
  hasCode,
  newId,
  silentLogger,
  systemClock,
} from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import type { Call } from './call.ts';
import type { LocalHangup } from './call-ending.ts';
import type { CallEvent } from './call-events.ts';
import { copyGroupcall, newGroupcall, shortGroupcallId } from './groupcall.ts';
import type { Groupcall, GroupcallStorePort } from './groupcall.ts';
import { callAnswered, callEnded, dialFailed, dialed, hangupAsked } from './groupcall-machine.ts';
import type { GroupcallStep, StepContext } from './groupcall-machine.ts';
import { validateGroupcallRequest } from './groupcall-request.ts';
import type { GroupcallRequest, ValidGroupcallRequest } from './groupcall-request.ts';
import { moveGroupcall } from './groupcall-status.ts';
import type { OutgoingCallRequest } from './outgoing-call.ts';

/** What a groupcall needs of the calls: CallService gives exactly this. */
export interface GroupcallCallsPort {
  createOutgoing(request: OutgoingCallRequest): Promise<Call[]>;
  hangup(callId: string, request?: LocalHangup): Promise<Call>;
  /** Committed call events, in order. */
  onEvent(listener: (event: CallEvent) => void): () => void;
}

/** What GroupcallService is built from. */
export interface GroupcallServiceDeps {
  calls: GroupcallCallsPort;
  store: GroupcallStorePort;
  clock?: Clock;
  logger?: Logger;
}

/** A groupcall this process runs: its state, its calls not hung up yet, and the queue its inputs take turns on. */
interface LiveGroupcall {
  gc: Groupcall;
  live: Set<string>;
  readonly queue: SerialQueue;
  readonly request: ValidGroupcallRequest;
}

/** Why a destination cannot be dialled while the next one still can be (as `POST /calls` skips it). */
const UNDIALABLE = ['EXTENSION_NOT_FOUND', 'ROUTE_NOT_FOUND', 'SIP_TARGET_FORBIDDEN'] as const;

function isUndialable(err: unknown): boolean {
  return UNDIALABLE.some((code) => hasCode(err, code));
}

/**
 * The groupcalls of this process (docs/api.md "Groupcalls"). Each destination is dialled as a real
 * outgoing call of CallService carrying the groupcall's id; the groupcall follows its calls through
 * their committed events. Every input of one groupcall (a call answered or ended, an API hangup) runs
 * on that groupcall's SerialQueue, and each change is stored with its events before any call is
 * hung up or dialled because of it.
 */
export class GroupcallService {
  readonly #calls: GroupcallCallsPort;
  readonly #store: GroupcallStorePort;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #live = new Map<string, LiveGroupcall>();
  readonly #background = new Set<Promise<unknown>>();
  readonly #unsubscribe: () => void;

  constructor(deps: GroupcallServiceDeps) {
    this.#calls = deps.calls;
    this.#store = deps.store;
    this.#clock = deps.clock ?? systemClock;
    this.#logger = deps.logger ?? silentLogger;
    this.#unsubscribe = this.#calls.onEvent((event) => this.#onCallEvent(event));
  }

  /** Validates, dials (every destination, or the first of a `linear` one) and stores the groupcall; resolves with it. */
  async create(request: GroupcallRequest): Promise<Groupcall> {
    const valid = validateGroupcallRequest(request);
    const gc = newGroupcall(
      {
        id: newId(),
        customer_id: valid.customer_id,
        flow_id: 'flow_id' in valid.flow ? valid.flow.flow_id : NIL_UUID,
        source: valid.source,
        destinations: valid.destinations,
        ring_method: valid.ring_method,
        answer_method: valid.answer_method,
      },
      this.#clock.now(),
    );
    const entry: LiveGroupcall = { gc, live: new Set(), queue: new SerialQueue(), request: valid };
    // Registered first: events of its calls find it and wait on its queue until it is stored.
    this.#live.set(gc.id, entry);
    try {
      return await entry.queue.run(() => this.#start(entry));
    } catch (err) {
      this.#live.delete(gc.id);
      throw err;
    }
  }

  /**
   * `POST /groupcalls/{id}/hangup`: every live call is hung up and the groupcall ends with the last
   * one (`hangingup` meanwhile). 404 for another customer's; 409 once it is over.
   */
  async hangup(groupcallId: string, customerId: string): Promise<Groupcall> {
    const entry = this.#live.get(groupcallId);
    if (!entry || entry.gc.customer_id !== customerId) throw await this.#notLiveError(groupcallId, customerId);
    return entry.queue.run(async () => {
      if (entry.gc.status === 'hangup')
        throw new InvalidStateError(`groupcall ${groupcallId} is already hung up`, 'GROUPCALL_ALREADY_HANGUP');
      await this.#apply(entry, hangupAsked(entry.gc, entry.live, this.#ctx()));
      return copyGroupcall(entry.gc);
    });
  }

  /** The groupcall as this process runs it, or undefined when it runs no such groupcall. */
  getLive(groupcallId: string): Groupcall | undefined {
    const entry = this.#live.get(groupcallId);
    return entry ? copyGroupcall(entry.gc) : undefined;
  }

  /**
   * Crash safety: every stored groupcall not `hangup` that this process does not run ends now
   * (`groupcall_hangup`); its calls were reconciled by CallService. With `nodeId`, that node's only.
   */
  async reconcile(options: { nodeId?: string | undefined } = {}): Promise<Groupcall[]> {
    const ended: Groupcall[] = [];
    for (const stale of await this.#store.listLive({ nodeId: options.nodeId })) {
      if (this.#live.has(stale.id)) continue;
      const next = moveGroupcall({ ...stale, call_count: 0 }, 'hangup', this.#ctx());
      if (!next) continue;
      await this.#store.save({
        groupcall: next,
        events: [{ type: 'groupcall_hangup', groupcall: copyGroupcall(next) }],
      });
      ended.push(next);
    }
    if (ended.length > 0)
      this.#logger.info({ count: ended.length }, 'reconciled groupcalls left live by a previous process');
    return ended;
  }

  /** Resolves once no queued work (call events, hangups of calls, next dials) is left. */
  async whenIdle(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  /** Stops following call events; live groupcalls stay as stored and are reconciled at the next start. */
  close(): void {
    this.#unsubscribe();
  }

  async #start(entry: LiveGroupcall): Promise<Groupcall> {
    const { gc } = entry;
    const step =
      gc.ring_method === 'ring_all'
        ? dialed(
            gc,
            0,
            (await this.#dial(entry, gc.destinations)).map((c) => c.id),
            this.#ctx(),
          )
        : await this.#startLinear(entry);
    const created = step.next ?? gc;
    try {
      await this.#store.save({
        groupcall: created,
        events: [{ type: 'groupcall_created', groupcall: copyGroupcall(created) }],
      });
    } catch (err) {
      // Nobody will follow these calls: they end now.
      for (const id of created.call_ids) this.#hangupCall(id);
      throw err;
    }
    entry.gc = created;
    entry.live = new Set(created.call_ids);
    return copyGroupcall(created);
  }

  /** The first destination that can be dialled; when none can, the first one's error. */
  async #startLinear(entry: LiveGroupcall): Promise<GroupcallStep> {
    const { gc } = entry;
    let first: unknown;
    for (const [index, destination] of gc.destinations.entries()) {
      try {
        const calls = await this.#dial(entry, [destination]);
        return dialed(
          gc,
          index,
          calls.map((c) => c.id),
          this.#ctx(),
        );
      } catch (err) {
        if (!isUndialable(err)) throw err;
        first ??= err;
      }
    }
    throw first;
  }

  #dial(entry: LiveGroupcall, destinations: readonly unknown[]): Promise<Call[]> {
    const { request, gc } = entry;
    return this.#calls.createOutgoing({
      customer_id: request.customer_id,
      source: request.source,
      destinations,
      ...request.flow,
      groupcall_id: gc.id,
    });
  }

  #onCallEvent(event: CallEvent): void {
    if (event.type !== 'call_progressing' && event.type !== 'call_hangup') return;
    const entry = this.#live.get(event.call.groupcall_id);
    if (!entry) return;
    const callId = event.call.id;
    const work = entry.queue.run(async () => {
      if (event.type === 'call_progressing') {
        await this.#apply(entry, callAnswered(entry.gc, callId, entry.live, this.#ctx()));
        return;
      }
      const live = new Set(entry.live);
      if (!live.delete(callId)) return;
      await this.#apply(entry, callEnded(entry.gc, callId, live, this.#ctx()), live);
    });
    this.#track(work, `groupcall ${shortGroupcallId(entry.gc.id)}: ${event.type} of a call`);
  }

  /** Stores a step with its events, then acts on it: hangs calls up, dials the next destination. */
  async #apply(entry: LiveGroupcall, step: GroupcallStep, live = entry.live): Promise<void> {
    let current = step;
    for (;;) {
      const { next } = current;
      if (next) {
        const events = current.events.map((type) => ({ type, groupcall: copyGroupcall(next) }));
        await this.#store.save({ groupcall: next, events });
        entry.gc = next;
      }
      entry.live = live;
      if (entry.gc.status === 'hangup') this.#live.delete(entry.gc.id);
      for (const id of current.hangup) this.#hangupCall(id);
      if (current.dial === undefined) return;
      const index = current.dial;
      const destination = entry.gc.destinations[index];
      try {
        const ids = (await this.#dial(entry, destination ? [destination] : [])).map((c) => c.id);
        live = new Set([...live, ...ids]);
        current = dialed(entry.gc, index, ids, this.#ctx());
      } catch (err) {
        this.#logger.warn(
          { err, groupcall_id: entry.gc.id, index },
          'groupcall: the next destination cannot be dialled',
        );
        current = dialFailed(entry.gc, index, this.#ctx());
      }
    }
  }

  #hangupCall(callId: string): void {
    const work = this.#calls.hangup(callId).catch((err: unknown) => {
      // The call ended on its own meanwhile: nothing left to do.
      if (hasCode(err, 'CALL_ALREADY_HANGUP') || hasCode(err, 'CALL_NOT_FOUND')) return;
      throw err;
    });
    this.#track(work, `hangup of groupcall call ${callId}`);
  }

  async #notLiveError(groupcallId: string, customerId: string): Promise<Error> {
    const stored = await this.#store.get(groupcallId);
    if (!stored || stored.customer_id !== customerId)
      return new NotFoundError('GROUPCALL_NOT_FOUND', `groupcall ${groupcallId} does not exist`);
    if (stored.status === 'hangup')
      return new InvalidStateError(`groupcall ${groupcallId} is already hung up`, 'GROUPCALL_ALREADY_HANGUP');
    return new InvalidStateError(`groupcall ${groupcallId} is not run by this process`, 'GROUPCALL_STATE_INVALID');
  }

  #ctx(): StepContext {
    return { nowMs: this.#clock.now(), logger: this.#logger };
  }

  #track(work: Promise<unknown>, what: string): void {
    const tracked = work.catch((err: unknown) => this.#logger.error({ err }, `${what} failed`));
    this.#background.add(tracked);
    void tracked.finally(() => this.#background.delete(tracked));
  }
}
