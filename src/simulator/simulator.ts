import { setImmediate as nextTurn } from 'node:timers/promises';
import { FlowEngine } from '../flows/index.ts';
import type { FlowLookupPort, HttpPort } from '../flows/index.ts';
import { NotFoundError, silentLogger } from '../shared/index.ts';
import { checkExpectations } from './expectations.ts';
import type { SimulationOutput } from './output.ts';
import { parseScript } from './script.ts';
import type { SimulationScript } from './script.ts';
import { SeededIds } from './seeded-ids.ts';
import { SimCallState } from './sim-call-state.ts';
import { SimCalls } from './sim-calls.ts';
import { SimConferences, SimFlows, SimHttp } from './sim-ports.ts';
import { addressOf } from './sim-util.ts';
import { Trace } from './trace.ts';
import { VirtualClock } from './virtual-clock.ts';

/** Most timeline steps of one simulation (each action starts and ends: two steps). */
export const MAX_SIMULATION_STEPS = 10_000;
/** Most virtual time one simulation covers (ms). */
export const MAX_SIMULATION_MS = 24 * 3600 * 1000;
/** Where the virtual clock starts unless the script's `start_at` says otherwise. */
export const DEFAULT_SIMULATION_START = '2026-01-01T00:00:00.000Z';
/** Event-loop turns without any activity after which the flow is taken to wait for time. */
const QUIET_TURNS = 4;
const DEFAULT_SOURCE = '+15550000001';
const DEFAULT_DESTINATION = '+15550000002';
const DEFAULT_DIGIT_INTERVAL_MS = 200;

/** One simulation: the flow, the script and what the simulation may use. */
export interface SimulationRequest {
  customer_id: string;
  flow: { flow_id: string } | { actions: readonly unknown[] };
  /** The script as given (checked here; absent: the empty script). */
  script?: unknown;
  /** The customer's stored flows, for `flow_id` and `fetch_flow` (none: only scripted ones). */
  flows?: FlowLookupPort;
  /** The client for `http` entries with `real: true` (none: such requests fail). */
  realHttp?: HttpPort;
  isSupportedLanguage?: (tag: string) => boolean;
  maxSteps?: number;
  maxVirtualMs?: number;
}

/**
 * Runs the real flow engine against a simulated call on a virtual clock (docs/testing-your-flows.md
 * "Simulator"): no SIP, no audio, no store; the same request gives the same output, byte for byte
 * (unless the script sends real requests). Throws 400 for a bad script or flow, 404 for a flow the
 * customer does not have.
 */
export async function simulate(request: SimulationRequest): Promise<SimulationOutput> {
  const script = parseScript(request.script);
  const run = new SimulationRun(request, script);
  return run.run();
}

class SimulationRun {
  readonly #req: SimulationRequest;
  readonly #script: SimulationScript;
  readonly #clock: VirtualClock;
  readonly #ids: SeededIds;
  readonly #trace: Trace;
  readonly #state: SimCallState;
  readonly #http: SimHttp;
  readonly #flows: SimFlows;
  readonly #engine: FlowEngine;
  readonly #maxSteps: number;
  readonly #maxMs: number;

  constructor(request: SimulationRequest, script: SimulationScript) {
    this.#req = request;
    this.#script = script;
    this.#clock = new VirtualClock(Date.parse(script.start_at ?? DEFAULT_SIMULATION_START));
    this.#ids = new SeededIds(script.seed ?? 0);
    this.#trace = new Trace(this.#clock);
    this.#trace.given.push(JSON.stringify([request.customer_id, request.flow, request.script ?? null]));
    this.#state = new SimCallState(this.#clock, this.#trace, this.#ids);
    this.#http = new SimHttp(this.#clock, this.#trace, script.http ?? {}, request.realHttp);
    this.#flows = new SimFlows(this.#trace, script.http ?? {}, request.flows);
    this.#maxSteps = request.maxSteps ?? MAX_SIMULATION_STEPS;
    this.#maxMs = request.maxVirtualMs ?? MAX_SIMULATION_MS;
    this.#engine = new FlowEngine({
      store: this.#trace,
      flows: this.#flows,
      calls: new SimCalls({
        clock: this.#clock,
        trace: this.#trace,
        ids: this.#ids,
        state: this.#state,
        callees: script.callees ?? {},
      }),
      conferences: new SimConferences(this.#trace),
      http: this.#http,
      clock: this.#clock,
      logger: silentLogger,
      ...(request.isSupportedLanguage ? { isSupportedLanguage: request.isSupportedLanguage } : {}),
    });
  }

  async run(): Promise<SimulationOutput> {
    const callId = await this.#start();
    const stopped = await this.#drive(callId);
    if (stopped !== null) {
      this.#trace.aborting = true;
      await this.#engine.close();
      await this.#settle();
    }
    const main = this.#state.calls.get(callId);
    const outcome = {
      steps: this.#trace.steps,
      variables: { ...(this.#trace.activeflow?.variables ?? {}) },
      events: this.#trace.events,
      requests: this.#trace.requests,
      hangup:
        main?.status === 'hangup'
          ? { by: main.hangup_by, reason: main.hangup_reason, tm: main.tm_hangup ?? main.tm_update }
          : null,
      stopped,
      duration_ms: this.#clock.elapsed,
    };
    const output: SimulationOutput = {
      ...outcome,
      expectations: checkExpectations(this.#script.expect, outcome),
    };
    return this.#ids.stabilize(output, this.#trace.given.join('\n'));
  }

  /** Creates the call and its activeflow and plays the script's caller on the clock; returns the call's id. */
  async #start(): Promise<string> {
    const script = this.#script;
    const customerId = this.#req.customer_id;
    if ('flow_id' in this.#req.flow && (await this.#flows.getFlow(customerId, this.#req.flow.flow_id)) === undefined)
      throw new NotFoundError('FLOW_NOT_FOUND', `flow ${this.#req.flow.flow_id} does not exist`);
    const outgoing = (script.direction ?? 'outgoing') === 'outgoing';
    const callId = this.#ids.next();
    const { activeflow_id, flow_id } = await this.#engine.create({
      customer_id: customerId,
      call_id: callId,
      source: this.#req.flow,
      variables: script.variables ?? {},
    });
    this.#flows.tracing = true;
    this.#trace.traced = activeflow_id;
    this.#state.create({
      id: callId,
      customer_id: customerId,
      direction: outgoing ? 'outgoing' : 'incoming',
      source: addressOf(script.source ?? DEFAULT_SOURCE),
      destination: addressOf(script.destination ?? DEFAULT_DESTINATION),
      status: outgoing ? 'dialing' : 'ringing',
      flow_id,
      activeflow_id,
    });
    this.#state.hangupListeners.push((call) => {
      // The caller hung up: the calls side stops the call's flow (docs/flows.md "Execution").
      if (call.id !== callId || call.hangup_by !== 'remote') return;
      this.#trace.aborting = true;
      void this.#engine.stop(activeflow_id);
    });
    if (outgoing) this.#dial(callId, activeflow_id);
    else await this.#engine.execute(activeflow_id);
    for (const press of script.dtmf ?? []) {
      [...press.digits].forEach((digit, i) => {
        const at = press.at_ms + i * (press.interval_ms ?? DEFAULT_DIGIT_INTERVAL_MS);
        this.#clock.setTimeout(() => this.#state.press(callId, digit), at);
      });
    }
    const hangupAt = script.hangup_at_ms;
    if (hangupAt !== undefined) this.#clock.setTimeout(() => this.#state.end(callId, 'remote', ''), hangupAt);
    return callId;
  }

  /** The outgoing call rings, then answers (the flow starts) or ends as the script's `answer` says. */
  #dial(callId: string, activeflowId: string): void {
    const answer = this.#script.answer ?? {};
    this.#state.ringing(callId);
    this.#clock.setTimeout(() => {
      const result = answer.result ?? 'answered';
      if (result !== 'answered') return this.#state.end(callId, 'remote', result);
      this.#state.answered(callId);
      void this.#engine.execute(activeflowId);
    }, answer.after_ms ?? 0);
  }

  /** Lets the flow work, then moves time to the next timer, until the flow and the call have ended or a bound is met. */
  async #drive(callId: string): Promise<SimulationOutput['stopped']> {
    const stop = (reason: NonNullable<SimulationOutput['stopped']>['reason'], detail: string) => ({
      reason,
      tm: new Date(this.#clock.now()).toISOString(),
      detail,
    });
    for (;;) {
      await this.#settle();
      if (this.#trace.activeflow?.status === 'ended' && this.#state.calls.get(callId)?.status === 'hangup') return null;
      if (this.#trace.steps.length >= this.#maxSteps)
        return stop('max_steps', `stopped after ${this.#trace.steps.length} steps`);
      const next = this.#clock.nextAt();
      if (next === undefined)
        return stop('nothing_left', 'the flow waits for something the script never does (a hangup, a callee)');
      if (next - this.#clock.startMs > this.#maxMs)
        return stop('max_virtual_time', `stopped at ${this.#maxMs} ms of virtual time`);
      this.#clock.fireNext();
    }
  }

  /** Returns once the flow has nothing left to do at this instant: no activity for a few turns, no real request in flight. */
  async #settle(): Promise<void> {
    let seen = this.#trace.activity;
    for (let quiet = 0; quiet < QUIET_TURNS; ) {
      if (this.#http.inFlight.size > 0) {
        await Promise.allSettled([...this.#http.inFlight]);
        quiet = 0;
        continue;
      }
      await nextTurn();
      if (this.#trace.steps.length >= this.#maxSteps) return;
      if (this.#trace.activity === seen) quiet += 1;
      else {
        seen = this.#trace.activity;
        quiet = 0;
      }
    }
  }
}
