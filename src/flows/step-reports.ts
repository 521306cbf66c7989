// The step reports of one activeflow run (activeflow-run.ts) to a step observer: each action's
// start, and its end with its result and the variables it changed (docs/timeline.md "Entries").
import type { ActiveflowError } from './activeflow.ts';
import type { FlowAction } from './flow-action.ts';
import { changedVariables } from './flow-steps.ts';
import type { FlowStep, FlowStepObserver } from './flow-steps.ts';

/** What a step report names of its activeflow; `variables` is read as it is at each report. */
export interface ReportedFlow {
  readonly customer_id: string;
  readonly id: string;
  readonly variables: Readonly<Record<string, string>>;
}

/** Reports the steps of one activeflow; the variables are copied at a step's start only for the observer. */
export class StepReports {
  readonly #observer: FlowStepObserver;
  readonly #af: ReportedFlow;
  readonly #callId: string | undefined;
  /** The variables when the current step started. */
  #varsBefore: Record<string, string> | undefined;

  constructor(observer: FlowStepObserver, af: ReportedFlow, callId: string | undefined) {
    this.#observer = observer;
    this.#af = af;
    this.#callId = callId;
  }

  /** `action` starts. */
  started(action: FlowAction): void {
    this.#varsBefore = { ...this.#af.variables };
    this.#observer.started(this.#stepOf(action));
  }

  /** `action` ended with `result` (and `error` when it failed). */
  ended(action: FlowAction, result: string, error?: ActiveflowError): void {
    const before = this.#varsBefore ?? {};
    this.#varsBefore = undefined;
    this.#observer.ended({
      ...this.#stepOf(action),
      result,
      variables: changedVariables(before, this.#af.variables),
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
    });
  }

  #stepOf(action: FlowAction): FlowStep {
    return {
      customer_id: this.#af.customer_id,
      activeflow_id: this.#af.id,
      call_id: this.#callId,
      action_id: action.id,
      action_type: action.type,
    };
  }
}
