export { lintFlow } from './lint-flow.ts';
export { checkFlow } from './check-flow.ts';
export type { FlowCheck } from './check-flow.ts';
export { LINT_CODES } from './lint-types.ts';
export type { LintCode, LintContext, LintWarning } from './lint-types.ts';
