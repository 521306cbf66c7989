export { Registrar, DEFAULT_EXPIRY_LIMITS, DEFAULT_MD5_ONLY_USER_AGENTS, formatSource } from './registrar.ts';
export type { RegistrarOptions } from './registrar.ts';
export type {
  Binding,
  RegistrarAccount,
  RegistrarBackend,
  RegisterTransaction,
  RegisterResult,
} from './registrar-types.ts';
export { parseContactUpdate, sameContact } from './contact-update.ts';
export type { ContactUpdate, ContactRefusal, ExpiryLimits, RequestedContact } from './contact-update.ts';
export { planBindingChanges } from './binding-plan.ts';
export type { BindingPlan, RegisterSequence } from './binding-plan.ts';
export { isScannerUserAgent } from './scanner-user-agent.ts';
export { registeredPath, supportsPath } from './path.ts';
