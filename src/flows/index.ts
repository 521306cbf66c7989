export * from './actions/index.ts';
export { ADDRESS_TYPES, AddressSchema, E164_RE, EXTENSION_RE, SIP_ADDRESS_RE, addressIssues, validateAddress } from './address.ts';
export type { Address } from './address.ts';
export { DEFAULT_MAX_ACTIONS, MAX_VALIDATION_DETAILS, validateFlowActions } from './flow-action-validator.ts';
export type { FlowAction, ValidateFlowActionsOptions } from './flow-action-validator.ts';
export { flowsJsonSchema } from './flows-json-schema.ts';
export { isKnownTimeZone } from './option-checks.ts';
