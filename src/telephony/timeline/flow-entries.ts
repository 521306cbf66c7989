/**
 * `flow` entries (docs/timeline.md "Entries"): each step of an activeflow, its start and its end with
 * the result and the variables it set; a step that failed adds an `error` entry with the action's
 * error code.
 */
import type { FlowStep, FlowStepEnd, FlowStepObserver } from '../../flows/index.ts';
import { NIL_UUID } from '../../shared/index.ts';
import type { TimelineRecorder } from '../../timeline/index.ts';

/** Variables of one step kept in its entry at most, and the characters kept of each value. */
export const MAX_STEP_VARIABLES = 20;
export const MAX_VARIABLE_CHARS = 256;

function bounded(variables: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [key, value] of Object.entries(variables)) {
    if (n++ >= MAX_STEP_VARIABLES) break;
    out[key] = value.length > MAX_VARIABLE_CHARS ? `${value.slice(0, MAX_VARIABLE_CHARS)}…` : value;
  }
  return out;
}

function subject(step: FlowStep) {
  return {
    customer_id: step.customer_id,
    call_id: step.call_id ?? NIL_UUID,
    activeflow_id: step.activeflow_id,
    conference_id: NIL_UUID,
  };
}

/** The FlowEngine's step observer that writes the steps to the timeline; undefined when it is off. */
export function flowStepTimeline(timeline: TimelineRecorder): FlowStepObserver | undefined {
  if (!timeline.enabled) return undefined;
  return {
    started(step: FlowStep): void {
      timeline.record({
        ...subject(step),
        kind: 'flow',
        summary: `${step.action_type} started`,
        data: { event: 'start', action_id: step.action_id, action_type: step.action_type },
      });
    },
    ended(step: FlowStepEnd): void {
      const variables = bounded(step.variables);
      timeline.record({
        ...subject(step),
        kind: 'flow',
        summary: `${step.action_type} ended: ${step.result}`,
        data: {
          event: 'end',
          action_id: step.action_id,
          action_type: step.action_type,
          result: step.result,
          variables,
        },
      });
      if (step.error)
        timeline.record({
          ...subject(step),
          kind: 'error',
          summary: `${step.action_type} failed: ${step.error.code}`,
          data: { code: step.error.code, message: step.error.message, action_id: step.action_id },
        });
    },
  };
}
