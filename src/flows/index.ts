export * from './actions/index.ts';
export {
  ADDRESS_TYPES,
  AddressSchema,
  E164_RE,
  EXTENSION_RE,
  SIP_ADDRESS_RE,
  addressIssues,
  validateAddress,
} from './address.ts';
export type { Address } from './address.ts';
export {
  DEFAULT_MAX_ACTIONS,
  MAX_ACTION_DEPTH,
  MAX_FLOW_ACTIONS,
  MAX_VALIDATION_DETAILS,
  checkFlowLimits,
  validateFlowActions,
} from './flow-action-validator.ts';
export type { ValidateFlowActionsOptions } from './flow-action-validator.ts';
export type { FlowAction } from './flow-action.ts';
export { flowsJsonSchema } from './flows-json-schema.ts';
export { LINT_CODES, checkFlow, lintFlow } from './lint/index.ts';
export type { FlowCheck, LintCode, LintContext, LintWarning } from './lint/index.ts';
export { isKnownTimeZone } from './option-checks.ts';
export { activeflowEvent, nilAction } from './activeflow.ts';
export type {
  Activeflow,
  ActiveflowError,
  ActiveflowEvent,
  ActiveflowEventType,
  ActiveflowReferenceType,
  ActiveflowStatus,
  CurrentAction,
  ExecutedAction,
} from './activeflow.ts';
export { FlowEngine, MAX_EXECUTED_ACTIONS } from './flow-engine.ts';
export type { ApiActiveflowRequest, FlowEngineDeps } from './flow-engine.ts';
export { MAX_PUSHED_LISTS } from './flow-cursor.ts';
export { TOO_MANY_ACTIONS } from './activeflow-run.ts';
export type { FlowStep, FlowStepEnd, FlowStepObserver } from './flow-steps.ts';
export {
  AMD_RESULT_VARIABLE,
  DIGITS_VARIABLE,
  MAX_REQUEST_VARIABLES,
  MAX_VARIABLE_VALUE_BYTES,
  RESERVED_VARIABLE_PREFIX,
  substituteOption,
  substituteText,
  validateRequestVariables,
} from './variables.ts';
export type * from './ports.ts';
