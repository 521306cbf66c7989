import type { ActionType } from './actions/action-types.ts';

/** One action as stored: ids always present (`next_id` nil when unset), `option` always an object. */
export interface FlowAction {
  id: string;
  next_id: string;
  type: ActionType;
  option: Record<string, unknown>;
}
