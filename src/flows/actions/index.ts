export { ACTION_TYPES, isActionType } from './action-types.ts';
export type { ActionType } from './action-types.ts';
export { defineAction } from './action-definition.ts';
export type { ActionContext, ActionDefinition, ActionNeeds, OptionIssue } from './action-definition.ts';
export { actionDefinition, actionRegistry } from './registry.ts';
export type { ActionRegistryShape } from './registry.ts';
export { HANGUP_REASONS } from './hangup.ts';
