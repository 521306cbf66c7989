import { FakeClock, NIL_UUID, NotFoundError, newId } from '../../shared/index.ts';
import type { Logger } from '../../shared/index.ts';
import type { Address } from '../address.ts';
import type { Call, MuteDirection } from '../call.ts';
import type { CallChange, CallEvent } from '../call-events.ts';
import { CallService } from '../call-service.ts';
import type { CallTimerOptions } from '../live-call.ts';
import type { AttemptFailure } from '../hangup-reasons.ts';
import type * as ports from '../ports.ts';

/** An in-memory CallStorePort that keeps every saved row and the outbox of events, in order. */
export class MemoryCallStore implements ports.CallStorePort {
  readonly rows = new Map<string, Call>();
  readonly events: CallEvent[] = [];
  /** Number of `save` transactions. */
  transactions = 0;

  async save(changes: readonly CallChange[]): Promise<void> {
    this.transactions += 1;
    for (const change of changes) {
      this.rows.set(change.call.id, structuredClone(change.call));
      this.events.push(...change.events);
    }
  }

  async get(callId: string): Promise<Call | undefined> {
    const row = this.rows.get(callId);
    return row ? structuredClone(row) : undefined;
  }

  async listLive(): Promise<Call[]> {
    return [...this.rows.values()].filter((c) => c.status !== 'hangup').map((c) => structuredClone(c));
  }

  /** The events of one call, as `type` or `type(status)` for `call_updated`. */
  eventsOf(callId: string): string[] {
    return this.events
      .filter((e) => e.call.id === callId)
      .map((e) => (e.type === 'call_updated' ? `call_updated(${e.call.status})` : e.type));
  }
}

/** A promise whose resolution the test controls. */
export class Gate {
  readonly promise: Promise<void>;
  open!: () => void;
  constructor() {
    this.promise = new Promise((resolve) => (this.open = resolve));
  }
}

/** One outgoing INVITE made through FakeSignaling; the test plays the far end through it. */
export class FakeAttempt implements ports.OutgoingAttempt {
  readonly leg_id = `leg-${newId()}`;
  readonly log: string[] = [];
  /** When set, `cancel()` waits for this gate (to prove serialisation). */
  cancelGate: Gate | undefined;
  /** When set, `bye()` waits for this gate. */
  byeGate: Gate | undefined;
  /** When set, the re-INVITEs of `hold()`/`unhold()` wait for this gate (a far end that does not answer). */
  reinviteGate: Gate | undefined;
  /** When set, the next re-INVITE fails with this error (after the gate, if any). */
  reinviteError: Error | undefined;

  constructor(
    readonly request: ports.DialRequest,
    readonly events: ports.LegEvents,
  ) {}

  ring(sipStatus = 180): void {
    this.events.ringing({ sip_status: sipStatus, early_media: sipStatus === 183 });
  }
  answer(): void {
    this.events.answered();
  }
  fail(failure: AttemptFailure | number): void {
    this.events.failed(typeof failure === 'number' ? { kind: 'status', sip_status: failure } : failure);
  }
  remoteBye(ending?: { failed: boolean }): void {
    this.events.remoteBye(ending);
  }

  async cancel(): Promise<void> {
    this.log.push('cancel');
    if (this.cancelGate) await this.cancelGate.promise;
  }
  async bye(): Promise<void> {
    this.log.push('bye');
    if (this.byeGate) await this.byeGate.promise;
  }
  async hold(): Promise<void> {
    await this.#reinvite('hold');
  }
  async unhold(): Promise<void> {
    await this.#reinvite('unhold');
  }
  async #reinvite(what: string): Promise<void> {
    this.log.push(what);
    if (this.reinviteGate) await this.reinviteGate.promise;
    const err = this.reinviteError;
    this.reinviteError = undefined;
    if (err) throw err;
  }
}

/** A SignalingPort that records each dial and hands the test a FakeAttempt to drive. */
export class FakeSignaling implements ports.SignalingPort {
  readonly attempts: FakeAttempt[] = [];

  dial(request: ports.DialRequest, events: ports.LegEvents): ports.OutgoingAttempt {
    const attempt = new FakeAttempt(request, events);
    this.attempts.push(attempt);
    return attempt;
  }

  /** The attempts made for one call, in order. */
  of(callId: string): FakeAttempt[] {
    return this.attempts.filter((a) => a.request.call_id === callId);
  }

  /** The last attempt of a call (throws when none). */
  last(callId: string): FakeAttempt {
    const list = this.of(callId);
    const last = list[list.length - 1];
    if (!last) throw new Error(`no attempt for call ${callId}`);
    return last;
  }
}

/** An IncomingLeg the test plays the caller through. */
export class FakeIncomingLeg implements ports.IncomingLeg {
  readonly leg_id = `leg-${newId()}`;
  readonly log: string[] = [];
  events: ports.LegEvents | undefined;

  listen(events: ports.LegEvents): void {
    this.events = events;
  }
  async ring(): Promise<void> {
    this.log.push('180');
  }
  async answer(): Promise<void> {
    this.log.push('200');
  }
  async reject(sipStatus: number): Promise<void> {
    this.log.push(String(sipStatus));
  }
  async bye(): Promise<void> {
    this.log.push('bye');
  }
  async hold(): Promise<void> {
    this.log.push('hold');
  }
  async unhold(): Promise<void> {
    this.log.push('unhold');
  }
}

/** A MediaPort that records every operation as `name leg args`. */
export class FakeMedia implements ports.MediaPort {
  readonly log: string[] = [];
  async play(legId: string, mediaUrls: readonly string[]): Promise<void> {
    this.log.push(`play ${legId} ${mediaUrls.join(',')}`);
  }
  async talk(legId: string, request: ports.TalkRequest): Promise<void> {
    this.log.push(`talk ${legId} ${request.text}`);
  }
  async stop(legId: string): Promise<void> {
    this.log.push(`stop ${legId}`);
  }
  async setMute(legId: string, direction: MuteDirection): Promise<void> {
    this.log.push(`mute ${legId} ${direction}`);
  }
  async setSilence(legId: string, on: boolean): Promise<void> {
    this.log.push(`silence ${legId} ${on}`);
  }
  async setHold(legId: string, on: boolean): Promise<void> {
    this.log.push(`held ${legId} ${on}`);
  }
  async setMusicOnHold(legId: string, on: boolean): Promise<void> {
    this.log.push(`moh ${legId} ${on}`);
  }
  async sendDigits(legId: string, request: ports.DigitsRequest): Promise<void> {
    this.log.push(`digits ${legId} ${request.digits}`);
  }
  async bridge(a: string, b: string): Promise<void> {
    this.log.push(`bridge ${a} ${b}`);
  }
  async unbridge(a: string, b: string): Promise<void> {
    this.log.push(`unbridge ${a} ${b}`);
  }
}

/** A FlowPort over a set of known flow ids; records executions and stops. */
export class FakeFlows implements ports.FlowPort {
  readonly knownFlowIds = new Set<string>();
  readonly executed: string[] = [];
  readonly stopped: string[] = [];
  readonly created: { call_id: string; activeflow_id: string }[] = [];

  async validate(_customerId: string, source: ports.FlowSource): Promise<void> {
    if ('flow_id' in source && !this.knownFlowIds.has(source.flow_id))
      throw new NotFoundError('FLOW_NOT_FOUND', `flow ${source.flow_id} does not exist`);
  }
  async create(request: {
    call_id: string;
    source: ports.FlowSource;
  }): Promise<{ flow_id: string; activeflow_id: string }> {
    await this.validate('', request.source);
    const activeflowId = newId();
    this.created.push({ call_id: request.call_id, activeflow_id: activeflowId });
    return { flow_id: 'flow_id' in request.source ? request.source.flow_id : newId(), activeflow_id: activeflowId };
  }
  async execute(activeflowId: string): Promise<void> {
    this.executed.push(activeflowId);
  }
  async stop(activeflowId: string): Promise<void> {
    this.stopped.push(activeflowId);
  }
}

/** A RoutingPort over plain arrays; providers in `unhealthy` report down. */
export class FakeRouting implements ports.RoutingPort {
  routes: ports.Route[] = [];
  providers: ports.Provider[] = [];
  readonly unhealthy = new Set<string>();

  async listRoutes(customerId: string): Promise<readonly ports.Route[]> {
    return this.routes.filter((r) => r.customer_id === customerId || r.customer_id === NIL_UUID);
  }
  async listProviders(ids: readonly string[]): Promise<readonly ports.Provider[]> {
    return this.providers.filter((p) => ids.includes(p.id));
  }
  isHealthy(providerId: string): boolean {
    return !this.unhealthy.has(providerId);
  }
}

/** A DirectoryPort over a map of extension name -> registered contacts. */
export class FakeDirectory implements ports.DirectoryPort {
  readonly extensions = new Map<string, string[]>();
  async extensionContacts(_customerId: string, extension: string): Promise<readonly string[] | undefined> {
    return this.extensions.get(extension);
  }
}

/** A RecorderPort handing out fresh recording ids. */
export class FakeRecorder implements ports.RecorderPort {
  readonly started: string[] = [];
  readonly stopped: string[] = [];
  async start(): Promise<{ recording_id: string }> {
    const id = newId();
    this.started.push(id);
    return { recording_id: id };
  }
  async stop(recordingId: string): Promise<void> {
    this.stopped.push(recordingId);
  }
}

/** A provider with test defaults. */
export function provider(id: string): ports.Provider {
  return {
    id,
    hostname: `${id}.example.net`,
    port: 5060,
    transport: 'udp',
    tech_prefix: '',
    tech_postfix: '',
    tech_headers: {},
    auth_username: '',
    auth_password: '',
  };
}

/** An address with empty name fields. */
export function address(type: Address['type'], target: string): Address {
  return { type, target, target_name: '', name: '', detail: '' };
}

/** A CallService wired to fresh fakes on a FakeClock. */
export function makeHarness(options: { timers?: Partial<CallTimerOptions>; logger?: Logger } = {}) {
  const clock = new FakeClock();
  const store = new MemoryCallStore();
  const signaling = new FakeSignaling();
  const media = new FakeMedia();
  const flows = new FakeFlows();
  const routing = new FakeRouting();
  const directory = new FakeDirectory();
  const recorder = new FakeRecorder();
  flows.knownFlowIds.add('11111111-1111-4111-8111-111111111111');
  const service = new CallService({ store, signaling, media, flows, routing, directory, recorder, clock, ...options });
  return { clock, store, signaling, media, flows, routing, directory, recorder, service };
}
