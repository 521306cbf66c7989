// ActiveflowRun: one activeflow executing in this process: its cursor moves, its end or stop, and
// each change stored with its event. One action's execution is action-execution.ts, the step
// reports to an observer step-reports.ts.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CallAction } from '../calls/index.ts';
import { SerialQueue, isoNow, lazyChild } from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { loopCounter } from './action-context.ts';
import type { ActionScope } from './action-context.ts';
import { endedReason, errorOf, executeAction, resultOf } from './action-execution.ts';
import type { Executed } from './action-execution.ts';
import { activeflowEvent, currentActionOf, nilAction, recordExecuted, snapshot } from './activeflow.ts';
import type { Activeflow, ActiveflowError, ActiveflowEventType, ExecutedAction } from './activeflow.ts';
import type { ActionOutcome } from './actions/action-definition.ts';
import { DigitBuffer } from './digit-buffer.ts';
import type { FlowAction } from './flow-action.ts';
import { FlowCursor } from './flow-cursor.ts';
import type { FlowStepObserver } from './flow-steps.ts';
import type { FlowPorts } from './ports.ts';
import { StepReports } from './step-reports.ts';
import { callVariables } from './variables.ts';

/** What a run needs from the engine. */
export interface RunDeps {
  readonly ports: FlowPorts;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxExecutedActions: number;
  parseActions(raw: unknown, field: string): FlowAction[];
  /** Tracks work that outlives the caller; errors are logged. */
  track(work: Promise<unknown>, what: string): void;
  /** The run ended (by itself or stopped): the engine forgets it. */
  ended(activeflowId: string): void;
  /** Hears each step's start and end (docs/timeline.md "Entries"). */
  readonly steps?: FlowStepObserver | undefined;
}

/** The error code of an activeflow that ended at the executed-actions limit. */
export const TOO_MANY_ACTIONS = 'TOO_MANY_ACTIONS';

/**
 * One activeflow executing in this process: a cursor over its actions, run one at a time. Every
 * change of the activeflow (cursor moves, errors, the end, a stop) runs on its SerialQueue and is
 * stored with its event; an action runs outside the queue, so a stop can abort it through the signal.
 */
export class ActiveflowRun {
  readonly #deps: RunDeps;
  readonly #af: Activeflow;
  readonly #cursor: FlowCursor;
  readonly #controller = new AbortController();
  readonly #queue = new SerialQueue();
  readonly #scope: ActionScope;
  readonly #digits = new DigitBuffer();
  #unsubscribeDtmf: (() => void) | undefined;
  /** Each step's start and end for a step observer, when there is one. */
  readonly #steps: StepReports | undefined;
  #started = false;
  #executed = 0;

  constructor(deps: RunDeps, activeflow: Activeflow, actions: readonly FlowAction[]) {
    this.#deps = deps;
    this.#af = activeflow;
    activeflow.executed_count ??= activeflow.executed_actions.length;
    this.#cursor = new FlowCursor(actions);
    const callId = activeflow.reference_type === 'call' ? activeflow.reference_id : undefined;
    // Every line of the run carries its ids (docs/architecture.md "Logs").
    const logger = lazyChild(deps.logger, { activeflow_id: activeflow.id, ...(callId ? { call_id: callId } : {}) });
    this.#steps = deps.steps && new StepReports(deps.steps, activeflow, callId);
    this.#scope = {
      activeflow,
      callId,
      ports: deps.ports,
      clock: deps.clock,
      logger,
      digits: this.#digits,
      loops: loopCounter(new Map()),
      parseActions: deps.parseActions,
      background: (what, work) => this.#background(what, work),
    };
  }

  /** The activeflow's id. */
  get id(): string {
    return this.#af.id;
  }

  /** The activeflow as it is now (a copy). */
  view(): Activeflow {
    return snapshot(this.#af);
  }

  /** Stores the new activeflow with `activeflow_created`. */
  created(): Promise<void> {
    return this.#queue.run(() => this.#save('activeflow_created'));
  }

  /** Starts executing; a second call, or a call after the end, does nothing. */
  start(): void {
    if (this.#started || this.#af.status === 'ended') return;
    this.#started = true;
    this.#track(this.#loop(), `activeflow ${this.#af.id}`);
  }

  /** Ends the activeflow and aborts the waiting action; with `hangupCall` its call is told as when the flow ends by itself. */
  stop(hangupCall: boolean): Promise<void> {
    return this.#queue.run(() => this.#finish(hangupCall, undefined));
  }

  async #loop(): Promise<void> {
    try {
      await this.#prepare();
      while (await this.#step());
    } catch (err) {
      this.#scope.logger.error({ err }, 'activeflow runner failed');
      await this.#queue.run(() => this.#finish(true, errorOf(this.#af.current_action, err)));
    }
  }

  async #prepare(): Promise<void> {
    const { callId } = this.#scope;
    if (callId === undefined) return;
    const call = await this.#deps.ports.calls.get(callId);
    if (call !== undefined) Object.assign(this.#af.variables, callVariables(call));
    this.#unsubscribeDtmf = this.#deps.ports.calls.onDtmf(callId, (digit) => this.#digits.push(digit));
  }

  /** Runs the action under the cursor; false once the activeflow ended. */
  async #step(): Promise<boolean> {
    // A yield per action: a loop of instant actions never starves the event loop.
    await nextTurn();
    if (this.#controller.signal.aborted) return false;
    const action = this.#cursor.current();
    if (action === undefined) return this.#queue.run(() => this.#finish(true, undefined)).then(() => false);
    if (this.#executed >= this.#deps.maxExecutedActions) {
      const error = {
        action_id: action.id,
        type: action.type,
        code: TOO_MANY_ACTIONS,
        message: `stopped after ${this.#executed} executed actions`,
      };
      return this.#queue.run(() => this.#finish(true, error)).then(() => false);
    }
    if (!(await this.#queue.run(() => this.#begin(action)))) return false;
    const executed = await executeAction(this.#scope, action, this.#af.variables, this.#controller.signal);
    if (executed.kind === 'aborted') {
      this.#steps?.ended(action, 'aborted');
      return false;
    }
    return this.#queue.run(() => this.#after(action, executed));
  }

  async #begin(action: FlowAction): Promise<boolean> {
    if (this.#af.status === 'ended') return false;
    this.#executed += 1;
    const tmExecute = isoNow(this.#deps.clock);
    this.#af.current_action = currentActionOf(action, tmExecute);
    recordExecuted(this.#af, { id: action.id, type: action.type, tm_execute: tmExecute });
    await this.#save('activeflow_updated');
    const { callId } = this.#scope;
    if (callId !== undefined) {
      // The calls side copies what it keeps, so the cursor's action (never changed, only replaced) is shared.
      const callAction: CallAction = { ...this.#af.current_action, tm_execute: tmExecute };
      this.#track(this.#deps.ports.calls.setAction(callId, callAction), `report action to call ${callId}`);
    }
    this.#steps?.started(action);
    return true;
  }

  /** Moves the cursor after an action; false once the activeflow ended. */
  async #after(action: FlowAction, executed: Executed): Promise<boolean> {
    if (this.#af.status === 'ended') {
      this.#steps?.ended(action, 'aborted');
      return false;
    }
    if (executed.kind === 'skipped') this.#amendLast({ skipped: true });
    if (executed.kind === 'done' && executed.outcome !== undefined && 'end' in executed.outcome) {
      this.#steps?.ended(action, 'end');
      await this.#finish(true, undefined);
      return false;
    }
    const error =
      executed.kind === 'failed'
        ? executed.error
        : this.#move(action, executed.kind === 'done' ? executed.outcome : undefined);
    this.#steps?.ended(action, error?.code ?? resultOf(executed), error);
    if (error !== undefined) {
      this.#scope.logger.warn(
        { action_id: error.action_id, type: error.type, code: error.code },
        `flow action failed: ${error.message}`,
      );
      this.#amendLast({ error });
      if (executed.kind === 'failed') this.#move(action, undefined);
      await this.#save('activeflow_updated', error);
    }
    return true;
  }

  /** Replaces (never mutates: snapshots share entries) the last executed action with more fields. */
  #amendLast(fields: Partial<ExecutedAction>): void {
    const list = this.#af.executed_actions;
    const last = list.at(-1);
    if (last !== undefined) list[list.length - 1] = { ...last, ...fields };
  }

  /** Applies an outcome to the cursor; a jump or push that cannot be made is an action error (the flow moves on). */
  #move(action: FlowAction, outcome: ActionOutcome): ActiveflowError | undefined {
    try {
      if (outcome !== undefined && 'jump' in outcome) this.#cursor.jump(outcome.jump);
      else if (outcome !== undefined && 'push' in outcome) this.#cursor.push(action, outcome.push);
      else this.#cursor.advance(action);
      return undefined;
    } catch (err) {
      this.#cursor.skip();
      return errorOf(action, err);
    }
  }

  async #finish(byItself: boolean, error: ActiveflowError | undefined): Promise<void> {
    if (this.#af.status === 'ended') return;
    this.#af.status = 'ended';
    this.#af.current_action = nilAction();
    this.#controller.abort(endedReason(this.#af.id));
    this.#unsubscribeDtmf?.();
    if (error !== undefined) this.#scope.logger.warn({ code: error.code }, `activeflow ended: ${error.message}`);
    try {
      await this.#save('activeflow_updated', error);
    } finally {
      this.#deps.ended(this.#af.id);
      const { callId } = this.#scope;
      if (byItself && callId !== undefined)
        this.#track(this.#deps.ports.calls.flowEnded(callId, this.#af.id), `end call ${callId}`);
    }
  }

  async #save(type: ActiveflowEventType, error?: ActiveflowError): Promise<void> {
    this.#af.tm_update = new Date(this.#deps.clock.now()).toISOString();
    const row = snapshot(this.#af);
    await this.#deps.ports.store.save(row, [activeflowEvent(type, row, error)]);
  }

  /** Runs work nobody awaits; its failure is logged with the activeflow's ids. */
  #track(work: Promise<unknown>, what: string): void {
    this.#deps.track(
      work.catch((err: unknown) => this.#scope.logger.error({ err }, `${what} failed`)),
      what,
    );
  }

  #background(what: string, work: (signal: AbortSignal) => Promise<void>): void {
    const run = async (): Promise<void> => work(this.#controller.signal);
    this.#track(
      run().catch((err: unknown) => {
        // Work cut short by the activeflow's end is expected; anything else is the customer's error, logged.
        if (!this.#controller.signal.aborted || err !== this.#controller.signal.reason) throw err;
      }),
      `${what} of activeflow ${this.#af.id}`,
    );
  }
}
