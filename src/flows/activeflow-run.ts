import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CallAction } from '../calls/index.ts';
import { AppError, SerialQueue, clonePlain, isoNow, lazyChild } from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { actionContext, loopCounter } from './action-context.ts';
import type { ActionScope } from './action-context.ts';
import { activeflowEvent, currentActionOf, nilAction, recordExecuted, snapshot } from './activeflow.ts';
import type { Activeflow, ActiveflowError, ActiveflowEventType, ExecutedAction } from './activeflow.ts';
import type { ActionOutcome } from './actions/action-definition.ts';
import { actionDefinition } from './actions/registry.ts';
import { DigitBuffer } from './digit-buffer.ts';
import type { FlowAction } from './flow-action.ts';
import { FlowCursor } from './flow-cursor.ts';
import { changedVariables } from './flow-steps.ts';
import type { FlowStep, FlowStepObserver } from './flow-steps.ts';
import type { FlowPorts } from './ports.ts';
import { callVariables, substituteOption } from './variables.ts';

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

/** The `result` of a step that ended without an error (docs/timeline.md "Entries"). */
function resultOf(executed: Executed): string {
  if (executed.kind === 'skipped') return 'skipped';
  if (executed.kind !== 'done' || executed.outcome === undefined) return 'next';
  if ('jump' in executed.outcome) return `jump:${executed.outcome.jump}`;
  return 'push' in executed.outcome ? 'push' : 'end';
}

/** How one action went. */
type Executed =
  | { kind: 'done'; outcome: ActionOutcome }
  | { kind: 'skipped' }
  | { kind: 'failed'; error: ActiveflowError }
  | { kind: 'aborted' };

/** Option keys left unsubstituted: nested action lists run later, with their own variables. */
const UNSUBSTITUTED_KEYS = new Set(['actions']);

/** The error code of an activeflow that ended at the executed-actions limit. */
export const TOO_MANY_ACTIONS = 'TOO_MANY_ACTIONS';

function errorOf(action: { id: string; type: string }, err: unknown): ActiveflowError {
  const code = err instanceof AppError ? err.code : 'ACTION_FAILED';
  const message = err instanceof Error ? err.message : String(err);
  return { action_id: action.id, type: action.type, code, message };
}

/** The abort reason of an ended activeflow; built without a stack trace, which nobody reads and every call paid for. */
function endedReason(activeflowId: string): AppError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new AppError('ACTIVEFLOW_ENDED', `activeflow ${activeflowId} ended`);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function substituted(action: FlowAction, variables: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(action.option))
    out[key] = UNSUBSTITUTED_KEYS.has(key) ? clonePlain(value) : substituteOption(value, variables);
  return out;
}

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
  /** The variables when the current step started, kept only for a step observer. */
  #varsBefore: Record<string, string> | undefined;
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
    const executed = await this.#execute(action);
    if (executed.kind === 'aborted') {
      this.#stepEnded(action, 'aborted');
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
    if (this.#deps.steps) {
      this.#varsBefore = { ...this.#af.variables };
      this.#deps.steps.started(this.#stepOf(action));
    }
    return true;
  }

  #stepOf(action: FlowAction): FlowStep {
    const af = this.#af;
    return {
      customer_id: af.customer_id,
      activeflow_id: af.id,
      call_id: this.#scope.callId,
      action_id: action.id,
      action_type: action.type,
    };
  }

  #stepEnded(action: FlowAction, result: string, error?: ActiveflowError): void {
    const steps = this.#deps.steps;
    if (!steps) return;
    const before = this.#varsBefore ?? {};
    this.#varsBefore = undefined;
    steps.ended({
      ...this.#stepOf(action),
      result,
      variables: changedVariables(before, this.#af.variables),
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
    });
  }

  async #execute(action: FlowAction): Promise<Executed> {
    const definition = actionDefinition(action.type);
    if (definition.needs !== 'none' && this.#scope.callId === undefined) return { kind: 'skipped' };
    const signal = this.#controller.signal;
    try {
      const option = substituted(action, this.#af.variables);
      const outcome = await definition.run(actionContext(this.#scope, action.id), option, signal);
      return signal.aborted ? { kind: 'aborted' } : { kind: 'done', outcome };
    } catch (err) {
      if (signal.aborted) return { kind: 'aborted' };
      return { kind: 'failed', error: errorOf(action, err) };
    }
  }

  /** Moves the cursor after an action; false once the activeflow ended. */
  async #after(action: FlowAction, executed: Executed): Promise<boolean> {
    if (this.#af.status === 'ended') {
      this.#stepEnded(action, 'aborted');
      return false;
    }
    if (executed.kind === 'skipped') this.#amendLast({ skipped: true });
    if (executed.kind === 'done' && executed.outcome !== undefined && 'end' in executed.outcome) {
      this.#stepEnded(action, 'end');
      await this.#finish(true, undefined);
      return false;
    }
    const error =
      executed.kind === 'failed'
        ? executed.error
        : this.#move(action, executed.kind === 'done' ? executed.outcome : undefined);
    this.#stepEnded(action, error?.code ?? resultOf(executed), error);
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
