import { ValidationError } from '../../shared/index.ts';
import type { FieldIssue } from '../../shared/index.ts';
import { validateFlowActions } from '../flow-action-validator.ts';
import { lintFlow } from './lint-flow.ts';
import type { LintContext, LintWarning } from './lint-types.ts';

/** A flow checked without being saved: what validation refuses, and what the linter warns of. */
export interface FlowCheck {
  warnings: LintWarning[];
  /** What saving the flow would answer 400 with; `[]` when it would be saved. */
  errors: FieldIssue[];
}

/**
 * Validates and lints a list of actions as given, saving nothing (`POST /flows/lint`, `callbin lint`).
 * Warnings name the ids the actions were given (`""` for an action without one) and come even when
 * validation fails; an unsupported `talk.language` is an error of validation, not a warning too.
 */
export async function checkFlow(actions: unknown, context: LintContext = {}): Promise<FlowCheck> {
  const { isSupportedLanguage, ...lintContext } = context;
  let errors: FieldIssue[] = [];
  try {
    validateFlowActions(actions, isSupportedLanguage ? { isSupportedLanguage } : {});
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    errors = [...err.details];
  }
  return { warnings: await lintFlow(actions, lintContext), errors };
}
