import type { LintAction, LintCode, LintWarning } from './lint-types.ts';

/** A warning about `action`. */
export function warning(action: LintAction, code: LintCode, message: string): LintWarning {
  return { action_id: action.id, field: action.field, code, message };
}
