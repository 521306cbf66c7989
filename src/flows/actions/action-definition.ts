import type { Static, TObject } from 'typebox';
import type { Clock, Logger } from '../../shared/index.ts';
import type { Activeflow } from '../activeflow.ts';
import type { FlowAction } from '../flow-action.ts';
import type { CallControlPort, ConferencePort, DtmfDigit, FlowLookupPort, HttpPort } from '../ports.ts';
import type { ActionType } from './action-types.ts';

/**
 * What an action needs to run: `media` a call with audio, `call` a call without audio, `none`
 * nothing (it also runs in an activeflow started from the API).
 */
export type ActionNeeds = 'none' | 'call' | 'media';

/** The activeflow's variables as an action reads and writes them. */
export interface VariableAccess {
  /** The value, or `""` when unset. */
  get(name: string): string;
  set(name: string, value: string): void;
}

/** DTMF received on the call and not taken yet (digits pressed before the action count). */
export interface DigitSource {
  /** Takes the oldest kept digit or the next to arrive; rejects when the signal aborts. */
  take(signal: AbortSignal): Promise<DtmfDigit>;
  /** Like `take`, but leaves the digit for the next action (a prompt interrupted by a key). */
  peek(signal: AbortSignal): Promise<DtmfDigit>;
}

/** How often each `goto` jumped, so `loop_count` can end a loop. */
export interface LoopCounter {
  /** True (and counted) while the action has jumped fewer than `max` times (`undefined`: no limit); false resets the count. */
  take(actionId: string, max: number | undefined): boolean;
}

/**
 * The narrow view of the running flow an executor receives: ids, ports, variables, time. Executors
 * never reach the runner or call internals; they steer the cursor through their {@link ActionOutcome}.
 */
export interface ActionContext {
  readonly activeflowId: string;
  readonly customerId: string;
  /** Id of the action being executed. */
  readonly actionId: string;
  /** The call this activeflow runs for; undefined for an activeflow started from the API. */
  readonly callId: string | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly calls: CallControlPort;
  readonly conferences: ConferencePort;
  readonly http: HttpPort;
  readonly flows: FlowLookupPort;
  readonly variables: VariableAccess;
  readonly digits: DigitSource;
  readonly loops: LoopCounter;
  /** Validates a list of actions (e.g. a `fetch` answer) into stored form; throws `ValidationError`. */
  parseActions(raw: unknown, field: string): FlowAction[];
  /** The activeflow as it is now (a copy), e.g. as the body of `fetch`. */
  snapshot(): Activeflow;
  /** Runs work that outlives the action (`async` talk/amd, webhooks); it gets the activeflow's signal and its errors are logged. */
  background(what: string, work: (signal: AbortSignal) => Promise<void>): void;
}

/** Where the cursor goes after an action: `undefined` = the next action as usual. */
export type ActionOutcome =
  | undefined
  | { readonly jump: string }
  | { readonly push: readonly FlowAction[] }
  | { readonly end: true };

/** One problem found by an action's own cross-option check, relative to its `option` object. */
export interface OptionIssue {
  /** Option path below `option`, e.g. `flow_id`. */
  path: string;
  /** Human text that says what was wrong. */
  message: string;
}

/** One action of the catalogue: its option schema, what it needs, and its executor. */
export interface ActionDefinition<T extends ActionType = ActionType, S extends TObject = TObject> {
  readonly type: T;
  /** TypeBox schema of the `option` object (`additionalProperties: false`). */
  readonly schema: S;
  readonly needs: ActionNeeds;
  /** Checks across several options that a plain schema cannot state; runs only on a schema-valid option. */
  refine?(option: Static<S>): OptionIssue[];
  /**
   * Executes the action with its option already substituted; settles when the flow may move on,
   * rejects on an action error. `signal` aborts on hangup, redirect or stop: every wait honours it.
   */
  run(ctx: ActionContext, option: Static<S>, signal: AbortSignal): Promise<ActionOutcome>;
}

/** Declares an action definition with its option type inferred from the schema. */
export function defineAction<T extends ActionType, S extends TObject>(
  definition: ActionDefinition<T, S>,
): ActionDefinition<T, S> {
  return definition;
}
