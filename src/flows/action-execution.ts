// One action of an activeflow run (activeflow-run.ts): its option with the variables substituted,
// its run through the action registry, and how it went (done, skipped, failed, aborted) with the
// step result and error fields derived from that.
import { AppError, clonePlain } from '../shared/index.ts';
import { actionContext } from './action-context.ts';
import type { ActionScope } from './action-context.ts';
import type { ActiveflowError } from './activeflow.ts';
import type { ActionOutcome } from './actions/action-definition.ts';
import { actionDefinition } from './actions/registry.ts';
import type { FlowAction } from './flow-action.ts';
import { substituteOption } from './variables.ts';

/** How one action went. */
export type Executed =
  | { kind: 'done'; outcome: ActionOutcome }
  | { kind: 'skipped' }
  | { kind: 'failed'; error: ActiveflowError }
  | { kind: 'aborted' };

/** Option keys left unsubstituted: nested action lists run later, with their own variables. */
const UNSUBSTITUTED_KEYS = new Set(['actions']);

/** The `result` of a step that ended without an error (docs/timeline.md "Entries"). */
export function resultOf(executed: Executed): string {
  if (executed.kind === 'skipped') return 'skipped';
  if (executed.kind !== 'done' || executed.outcome === undefined) return 'next';
  if ('jump' in executed.outcome) return `jump:${executed.outcome.jump}`;
  return 'push' in executed.outcome ? 'push' : 'end';
}

/** The activeflow error of `action` failing with `err`. */
export function errorOf(action: { id: string; type: string }, err: unknown): ActiveflowError {
  const code = err instanceof AppError ? err.code : 'ACTION_FAILED';
  const message = err instanceof Error ? err.message : String(err);
  return { action_id: action.id, type: action.type, code, message };
}

/** The abort reason of an ended activeflow; built without a stack trace, which nobody reads and every call paid for. */
export function endedReason(activeflowId: string): AppError {
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
 * Runs `action` with `variables` substituted into its option; an action that needs a call is
 * skipped without one, and one cut short by `signal` is `aborted`.
 */
export async function executeAction(
  scope: ActionScope,
  action: FlowAction,
  variables: Readonly<Record<string, string>>,
  signal: AbortSignal,
): Promise<Executed> {
  const definition = actionDefinition(action.type);
  if (definition.needs !== 'none' && scope.callId === undefined) return { kind: 'skipped' };
  try {
    const option = substituted(action, variables);
    const outcome = await definition.run(actionContext(scope, action.id), option, signal);
    return signal.aborted ? { kind: 'aborted' } : { kind: 'done', outcome };
  } catch (err) {
    if (signal.aborted) return { kind: 'aborted' };
    return { kind: 'failed', error: errorOf(action, err) };
  }
}
