import type { Static, TObject } from 'typebox';
import type { ActionType } from './action-types.ts';

/**
 * What an action needs to run: `media` a call with audio, `call` a call without audio, `none`
 * nothing (it also runs in an activeflow started from the API).
 */
export type ActionNeeds = 'none' | 'call' | 'media';

/**
 * The narrow view of the running flow an executor receives; its members arrive with the runner,
 * so executors never reach the runner or call internals.
 */
export interface ActionContext {}

/** One problem found by an action's own cross-option check, relative to its `option` object. */
export interface OptionIssue {
  /** Option path below `option`, e.g. `flow_id`. */
  path: string;
  /** Human text that says what was wrong. */
  message: string;
}

/** One action of the catalogue: its option schema, what it needs, and (later) its executor. */
export interface ActionDefinition<T extends ActionType = ActionType, S extends TObject = TObject> {
  readonly type: T;
  /** TypeBox schema of the `option` object (`additionalProperties: false`). */
  readonly schema: S;
  readonly needs: ActionNeeds;
  /** Checks across several options that a plain schema cannot state; runs only on a schema-valid option. */
  refine?(option: Static<S>): OptionIssue[];
  /** Executes the action; settles when the flow may move on, rejects on an action error. */
  run?(ctx: ActionContext, option: Static<S>, signal: AbortSignal): Promise<void>;
}

/** Declares an action definition with its option type inferred from the schema. */
export function defineAction<T extends ActionType, S extends TObject>(definition: ActionDefinition<T, S>): ActionDefinition<T, S> {
  return definition;
}
