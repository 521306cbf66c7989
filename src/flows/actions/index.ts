export { ACTION_TYPES, isActionType } from './action-types.ts';
export type { ActionType } from './action-types.ts';
export { defineAction } from './action-definition.ts';
export type {
  ActionContext,
  ActionDefinition,
  ActionNeeds,
  ActionOutcome,
  DigitSource,
  LoopCounter,
  OptionIssue,
  VariableAccess,
} from './action-definition.ts';
export { actionDefinition, actionRegistry } from './registry.ts';
export type { ActionRegistryShape } from './registry.ts';
export { HANGUP_REASONS } from './hangup.ts';
export { CALLEE_HOLD_ACTIONS, DEFAULT_RING_TIMEOUT_SEC } from './connect.ts';
