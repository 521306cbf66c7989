/**
 * What an activeflow's run tells an observer about each step (docs/timeline.md "Entries", kind
 * `flow`): the start of an action and its end with the result and the variables it set.
 */

/** The step an observer hears about. */
export interface FlowStep {
  customer_id: string;
  activeflow_id: string;
  /** The activeflow's call; undefined for an activeflow without one. */
  call_id: string | undefined;
  action_id: string;
  action_type: string;
}

/** How a step ended. */
export interface FlowStepEnd extends FlowStep {
  /**
   * `next`, `jump:<action id>`, `push` (a fetched list runs next), `end` (the flow ends), `skipped`
   * (the action needs a call), `aborted` (the activeflow was stopped meanwhile), or an error code.
   */
  result: string;
  /** The variables whose value the step set or changed. */
  variables: Record<string, string>;
  /** The action's error, when it failed. */
  error?: { code: string; message: string };
}

/** Hears each step of every activeflow of an engine; called synchronously, must not throw. */
export interface FlowStepObserver {
  started(step: FlowStep): void;
  ended(step: FlowStepEnd): void;
}

/** The variables of `after` that `before` lacked or held another value for. */
export function changedVariables(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(after)) if (before[key] !== after[key]) out[key] = after[key] as string;
  return out;
}
