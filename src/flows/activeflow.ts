import { NIL_UUID, clonePlain } from '../shared/index.ts';
import type { FlowAction } from './flow-action-validator.ts';

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
  executed_actions: ExecutedAction[];
  variables: Record<string, string>;
  /** Where this activeflow's events are also delivered (`POST /activeflows`). */
  webhook_uri?: string;
  tm_create: string;
  tm_update: string;
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
  return { id: NIL_UUID, next_id: NIL_UUID, type: '', option: {} };
}

/** The cursor form of a flow action. */
export function currentActionOf(action: FlowAction): CurrentAction {
  return { id: action.id, next_id: action.next_id, type: action.type, option: clonePlain(action.option) };
}

/**
 * A copy that never aliases live state: the containers are copied, while the entries of
 * `executed_actions` and `current_action` are shared because the runner never changes them after
 * creating them (it replaces them). This keeps a save O(actions) in pointers, not in deep clones.
 */
export function snapshot(activeflow: Activeflow): Activeflow {
  return { ...activeflow, variables: { ...activeflow.variables }, executed_actions: [...activeflow.executed_actions] };
}

/** An event over `frozen`, a snapshot the caller will not change (shared with the stored row). */
export function activeflowEvent(type: ActiveflowEventType, frozen: Activeflow, error?: ActiveflowError): ActiveflowEvent {
  return { type, data: error === undefined ? frozen : { ...frozen, error: { ...error } } };
}
