import type { LintWork } from './lint-work.ts';

/**
 * The codes of the flow linter (docs/testing-your-flows.md "Linter"): each names one way a flow
 * that validation accepts can still misbehave on a call.
 */
export const LINT_CODES = [
  'UNREACHABLE_ACTION',
  'LOOP_WITHOUT_EXIT',
  'LOOP_EXCEEDS_GUARD',
  'GOTO_NEVER_JUMPS',
  'VARIABLE_NEVER_SET',
  'BRANCH_WITHOUT_DEFAULT',
  'DIGITS_NOT_USED',
  'TALK_UNSPEAKABLE',
  'UNKNOWN_EXTENSION',
  'NO_HANGUP',
  'LINT_BUDGET_EXCEEDED',
] as const;

export type LintCode = (typeof LINT_CODES)[number];

/** One finding: the action it is about (its id, and its place in the list), a code and a human message. */
export interface LintWarning {
  /** The action's id; `""` for an action given without one to a check that does not save (`/flows/lint`, `callbin lint`). */
  action_id: string;
  /** Where the action is, as in validation errors: `actions[3]`, `actions[2].option.actions[0]`. */
  field: string;
  code: LintCode;
  message: string;
}

/** What the linter may ask of the world around the flow; each check that needs a missing answer is skipped. */
export interface LintContext {
  /** Counts the lint's work in steps (tests bound it by the flow's size); a fresh counter when absent. */
  work?: LintWork;
  /** Whether the speech engine speaks a `talk.language`. */
  isSupportedLanguage?: (tag: string) => boolean;
  /** Whether the speech engine has a `talk.voice_id`. */
  isSupportedVoice?: (voiceId: string) => boolean;
  /** Whether the customer has an extension of this name or id (`connect` and `call` destinations). */
  extensionExists?: (extension: string) => Promise<boolean> | boolean;
  /** Variables the call or activeflow request gives (`variables` of `POST /calls`), counted as set. */
  presetVariables?: readonly string[];
}

/** An action as the linter reads it: a stored action, or one of a list that has not passed validation. */
export interface LintAction {
  /** `""` when none was given. */
  readonly id: string;
  /** `""` or the nil UUID when unset. */
  readonly next_id: string;
  readonly type: string;
  readonly option: Readonly<Record<string, unknown>>;
  /** Field path of the action. */
  readonly field: string;
}
