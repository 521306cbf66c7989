import { AppError, NIL_UUID, clonePlain } from '../shared/index.ts';
import type { FlowAction } from './flow-action.ts';

/** Whether an activeflow still executes. */
export type ActiveflowStatus = 'running' | 'ended';

/** What an activeflow runs for: a call, or nothing (`POST /activeflows`). */
export type ActiveflowReferenceType = 'call' | 'api';

/** An action error as recorded on the activeflow and carried by `activeflow_updated`. */
export interface ActiveflowError {
  action_id: string;
  type: string;
  /** Stable code (`FETCH_FAILED`, `TOO_MANY_ACTIONS`, …). */
  code: string;
  message: string;
}

/** One action the activeflow executed, in order. */
export interface ExecutedAction {
  id: string;
  type: string;
  tm_execute: string;
  /** True when the action was skipped (a media action without a call). */
  skipped?: boolean;
  error?: ActiveflowError;
}

/** The action the cursor is on; the nil action when none. */
export interface CurrentAction {
  id: string;
  next_id: string;
  type: string;
  option: Record<string, unknown>;
  /**
   * When the action started executing (RFC 3339, the engine's clock); null for the nil action
   * (docs/flows.md "Activeflow"). Absent on activeflows stored before it was kept.
   */
  tm_execute?: string | null;
}

/** One execution of a flow, exactly as the API shows it. */
export interface Activeflow {
  id: string;
  customer_id: string;
  flow_id: string;
  status: ActiveflowStatus;
  reference_type: ActiveflowReferenceType;
  /** The call id, or the nil UUID for `api`. */
  reference_id: string;
  current_action: CurrentAction;
  /** The latest executed actions, oldest first: at most {@link EXECUTED_ACTIONS_KEPT} (events carry fewer). */
  executed_actions: ExecutedAction[];
  /** How many actions were executed in all; absent on activeflows stored before it was counted. */
  executed_count?: number;
  variables: Record<string, string>;
  /** Where this activeflow's events are also delivered (`POST /activeflows`). */
  webhook_uri?: string;
  /** The HTTP method of those deliveries (`POST` when absent). */
  webhook_method?: string;
  tm_create: string;
  tm_update: string;
}

/**
 * How many of the latest executed actions an activeflow keeps (its stored row and GET): a loop runs
 * up to the 1,000-action guard, and each step rewrites the row, so the history is a window and
 * `executed_count` counts the rest (docs/security.md, unbounded growth).
 */
export const EXECUTED_ACTIONS_KEPT = 100;

/** How many of the latest executed actions an activeflow event carries: one event per step must not repeat the history. */
export const EXECUTED_ACTIONS_IN_EVENTS = 5;

/** Most variables an action may leave an activeflow with (the built-in ones and up to 100 of a request fit). */
export const MAX_ACTIVEFLOW_VARIABLES = 200;

/**
 * Most bytes (names and values, UTF-8) an action may leave in an activeflow's variables: the row and
 * every event carry them, and a `${v}${v}` loop would otherwise double them at each step.
 */
export const MAX_ACTIVEFLOW_VARIABLES_BYTES = 64 * 1024;

/** Sets a variable as an action does; an AppError `VARIABLES_TOO_LARGE` (the action's error) when that breaks a bound above. */
export function setVariable(activeflow: Activeflow, name: string, value: string): void {
  const vars = activeflow.variables;
  const isNew = !Object.hasOwn(vars, name);
  if (isNew && Object.keys(vars).length >= MAX_ACTIVEFLOW_VARIABLES) {
    throw new AppError('VARIABLES_TOO_LARGE', `an activeflow holds at most ${MAX_ACTIVEFLOW_VARIABLES} variables`);
  }
  const before = variablesBytes(vars);
  const replaced = isNew ? 0 : Buffer.byteLength(name) + Buffer.byteLength(vars[name] ?? '');
  const after = before - replaced + Buffer.byteLength(name) + Buffer.byteLength(value);
  // A set that does not grow them is always allowed (request variables may start above the bound).
  if (after > MAX_ACTIVEFLOW_VARIABLES_BYTES && after > before) {
    throw new AppError(
      'VARIABLES_TOO_LARGE',
      `setting ${JSON.stringify(name.slice(0, 64))} would take the variables to ${after} bytes, at most ${MAX_ACTIVEFLOW_VARIABLES_BYTES} allowed`,
    );
  }
  vars[name] = value;
}

function variablesBytes(vars: Readonly<Record<string, string>>): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(vars)) bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  return bytes;
}

/** The types of activeflow events. */
export type ActiveflowEventType = 'activeflow_created' | 'activeflow_updated' | 'activeflow_deleted';

/** An activeflow event: `data` is the activeflow as GET shows it, plus the action error when there was one. */
export interface ActiveflowEvent {
  type: ActiveflowEventType;
  data: Activeflow & { error?: ActiveflowError };
}

/** The current action of an activeflow that runs none. */
export function nilAction(): CurrentAction {
  return { id: NIL_UUID, next_id: NIL_UUID, type: '', option: {}, tm_execute: null };
}

/** The cursor form of a flow action that started executing at `tmExecute`. */
export function currentActionOf(action: FlowAction, tmExecute: string): CurrentAction {
  return {
    id: action.id,
    next_id: action.next_id,
    type: action.type,
    option: clonePlain(action.option),
    tm_execute: tmExecute,
  };
}

/**
 * A copy that never aliases live state: the containers are copied, while the entries of
 * `executed_actions` and `current_action` are shared because the runner never changes them after
 * creating them (it replaces them). This keeps a save O(actions) in pointers, not in deep clones.
 */
export function snapshot(activeflow: Activeflow): Activeflow {
  return { ...activeflow, variables: { ...activeflow.variables }, executed_actions: [...activeflow.executed_actions] };
}

/** Appends `entry` to the executed actions, keeping the last {@link EXECUTED_ACTIONS_KEPT}, and counts it. */
export function recordExecuted(activeflow: Activeflow, entry: ExecutedAction): void {
  const list = activeflow.executed_actions;
  list.push(entry);
  if (list.length > EXECUTED_ACTIONS_KEPT) list.splice(0, list.length - EXECUTED_ACTIONS_KEPT);
  activeflow.executed_count = (activeflow.executed_count ?? list.length - 1) + 1;
}

/**
 * An event over `frozen`, a snapshot the caller will not change: the activeflow as GET shows it but
 * with only the last {@link EXECUTED_ACTIONS_IN_EVENTS} executed actions (`executed_count` says how many ran).
 */
export function activeflowEvent<T extends Activeflow>(
  type: ActiveflowEventType,
  frozen: T,
  error?: ActiveflowError,
): { type: ActiveflowEventType; data: T & { error?: ActiveflowError } } {
  const data: T & { error?: ActiveflowError } = {
    ...frozen,
    executed_actions: frozen.executed_actions.slice(-EXECUTED_ACTIONS_IN_EVENTS),
  };
  if (error !== undefined) data.error = { ...error };
  return { type, data };
}
