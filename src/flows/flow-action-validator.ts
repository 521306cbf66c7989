import type { Validator } from 'typebox/compile';
import { Compile } from 'typebox/compile';
import { NIL_UUID, ValidationError } from '../shared/index.ts';
import type { FieldIssue } from '../shared/index.ts';
import { actionDefinition } from './actions/registry.ts';
import type { ActionType } from './actions/action-types.ts';
import { givenId, readEnvelope } from './action-envelope.ts';
import type { ActionEnvelope } from './action-envelope.ts';
import type { FlowAction } from './flow-action.ts';
import { IssueList } from './issue-list.ts';
import { markedValues } from './marked-values.ts';
import { markedValueIssue } from './option-checks.ts';
import type { OptionCheckContext } from './option-checks.ts';
import { childField, schemaIssues, showValue } from './schema-issues.ts';

/** Options of {@link validateFlowActions}. */
export interface ValidateFlowActionsOptions {
  /** Field path of the list in error details; default `actions`. */
  fieldPrefix?: string;
  /** Whether the speech engine speaks a `talk.language`; no check when absent. */
  isSupportedLanguage?: (tag: string) => boolean;
  /** Most actions a list may hold; default 1000. */
  maxActions?: number;
}

/** Most issues one validation reports. */
export const MAX_VALIDATION_DETAILS = 20;

/** Default most actions in one list. */
export const DEFAULT_MAX_ACTIONS = 1000;

/** How deep `call.actions` lists may nest inside each other. */
const MAX_NESTED_LISTS = 3;

/**
 * How many levels of objects and arrays one action may hold below itself: its `option` is level 1
 * (docs/flows.md "Limits"). A `call` with inline lists nested 3 deep and their addresses reaches 12.
 */
export const MAX_ACTION_DEPTH = 32;

/**
 * Most actions one list and the inline lists of its actions (an option's `actions`, nested ones
 * included) hold together (docs/flows.md "Limits"): each list may hold 1,000, this bounds their sum.
 */
export const MAX_FLOW_ACTIONS = 10_000;

interface ListScope {
  readonly issues: IssueList;
  readonly maxActions: number;
  readonly isSupportedLanguage: ((tag: string) => boolean) | undefined;
  readonly depth: number;
}

const optionValidators = new Map<ActionType, Validator>();

function optionValidator(type: ActionType): Validator {
  let validator = optionValidators.get(type);
  if (validator === undefined) {
    validator = Compile(actionDefinition(type).schema);
    optionValidators.set(type, validator);
  }
  return validator;
}

function duplicateIdIssues(input: readonly unknown[], field: string, issues: IssueList): void {
  const firstIndex = new Map<string, number>();
  input.forEach((raw, index) => {
    const id = givenId(raw);
    if (id === undefined) return;
    const earlier = firstIndex.get(id);
    if (earlier === undefined) {
      firstIndex.set(id, index);
      return;
    }
    const message = `${showValue(id)} is already the id of ${childField(field, earlier, true)}`;
    issues.add({ field: `${childField(field, index, true)}.id`, reason: 'DUPLICATE_ACTION_ID', message });
  });
}

/** An object or array met by {@link limitIssues}, with the way back to the list for its field path. */
interface Container {
  readonly value: object;
  readonly depth: number;
  readonly key: string | number;
  readonly parent: Container | undefined;
}

function fieldOf(node: Container, prefix: string): string {
  const chain: Container[] = [];
  for (let n: Container | undefined = node; n?.parent !== undefined; n = n.parent) chain.push(n);
  let field = prefix;
  for (const n of chain.reverse()) field = childField(field, n.key, typeof n.key === 'number');
  return field;
}

function isContainer(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

/**
 * The size limits of a list of actions, checked by one loop over an explicit stack before anything
 * recursive (schema checks, copies, error messages that show a value) sees the list: every action
 * nests at most {@link MAX_ACTION_DEPTH} levels, every array inside an action, an inline `actions`
 * list included, holds at most `maxActions` items, and the lists hold {@link MAX_FLOW_ACTIONS}
 * actions in all. A list longer than `maxActions` is left to `checkList`, which refuses it before
 * looking at its actions.
 */
function limitIssues(input: unknown, field: string, maxActions: number, issues: IssueList): void {
  if (!isContainer(input) || (Array.isArray(input) && input.length > maxActions)) return;
  const root: Container = { value: input, depth: 0, key: '', parent: undefined };
  const stack: Container[] = [];
  // The list's actions sit at level 0 with the list; a value that is no list is one action.
  const push = (parent: Container, key: string | number, value: unknown, depth: number) => {
    if (isContainer(value)) stack.push({ value, depth, key, parent });
  };
  if (Array.isArray(input)) for (let i = input.length - 1; i >= 0; i--) push(root, i, input[i], 0);
  else stack.push(root);
  let actions = Array.isArray(input) ? input.length : 1;
  for (let node = stack.pop(); node !== undefined && !issues.full; node = stack.pop()) {
    const issue = containerIssue(node, field, maxActions);
    if (issue !== undefined) {
      issues.add(issue);
      continue;
    }
    const { value, depth } = node;
    if (Array.isArray(value) && node.key === 'actions' && node.parent?.key === 'option') {
      actions += value.length;
      if (actions > MAX_FLOW_ACTIONS) {
        const message = `the flow's lists hold more than ${MAX_FLOW_ACTIONS} actions in all`;
        issues.add({ field: fieldOf(node, field), reason: 'TOO_MANY_ITEMS', message });
        return;
      }
    }
    if (Array.isArray(value)) for (let i = value.length - 1; i >= 0; i--) push(node, i, value[i], depth + 1);
    else {
      const keys = Object.keys(value);
      const record = value as Record<string, unknown>;
      for (let i = keys.length - 1; i >= 0; i--) push(node, keys[i] as string, record[keys[i] as string], depth + 1);
    }
  }
}

function containerIssue(node: Container, field: string, maxActions: number): FieldIssue | undefined {
  if (node.depth > MAX_ACTION_DEPTH)
    return {
      field: fieldOf(node, field),
      reason: 'ACTION_TOO_DEEP',
      message: `an action nests objects and arrays at most ${MAX_ACTION_DEPTH} deep`,
    };
  if (Array.isArray(node.value) && node.value.length > maxActions)
    return {
      field: fieldOf(node, field),
      reason: 'TOO_MANY_ITEMS',
      message: `has ${node.value.length} items, at most ${maxActions} allowed`,
    };
  return undefined;
}

/**
 * Refuses a list of actions beyond the size limits (nesting depth, items of inner arrays, actions
 * of all its lists) with a `ValidationError` naming the field (`ACTION_TOO_DEEP`, `TOO_MANY_ITEMS`),
 * walking it without recursion; `validateFlowActions` checks these first too. For callers that do
 * other work on a list beside validating it (`POST /flows/lint` lints it).
 */
export function checkFlowLimits(
  input: unknown,
  opts: Pick<ValidateFlowActionsOptions, 'fieldPrefix' | 'maxActions'> = {},
): void {
  const issues = new IssueList(MAX_VALIDATION_DETAILS);
  limitIssues(input, opts.fieldPrefix ?? 'actions', opts.maxActions ?? DEFAULT_MAX_ACTIONS, issues);
  if (issues.size > 0) throw new ValidationError(issues.toArray());
}

function setAtPath(root: Record<string, unknown>, path: readonly (string | number)[], value: unknown): void {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
  const last = path.at(-1);
  if (last !== undefined) (node as Record<string | number, unknown>)[last] = value;
}

/** Checks one action's option and returns the stored form (nested lists normalized too). */
function checkAction(envelope: ActionEnvelope, field: string, ctx: OptionCheckContext, scope: ListScope): FlowAction {
  const definition = actionDefinition(envelope.type);
  const optionField = `${field}.option`;
  const shapeIssues = schemaIssues(definition.schema, optionValidator(envelope.type), envelope.option, optionField);
  scope.issues.add(...shapeIssues);
  if (shapeIssues.length === 0 && definition.refine !== undefined) {
    for (const { path, message } of definition.refine(envelope.option)) {
      scope.issues.add({ field: `${optionField}.${path}`, reason: 'INVALID_ACTION', message });
    }
  }
  const option = structuredClone(envelope.option);
  for (const marked of markedValues(definition.schema, envelope.option, optionField)) {
    if (marked.check === 'actions') {
      setAtPath(option, marked.path, checkNestedList(marked.value, marked.field, scope));
      continue;
    }
    const issue = markedValueIssue(marked, ctx);
    if (issue !== undefined) scope.issues.add(issue);
  }
  if (envelope.next_id !== NIL_UUID && !ctx.actionIds.has(envelope.next_id)) {
    const message = `${showValue(envelope.next_id)} is not the id of an action in this flow`;
    scope.issues.add({ field: `${field}.next_id`, reason: 'INVALID_ACTION_TARGET', message });
  }
  return { id: envelope.id, next_id: envelope.next_id, type: envelope.type, option };
}

function checkNestedList(value: unknown, field: string, scope: ListScope): unknown {
  if (!Array.isArray(value)) return value;
  if (scope.depth >= MAX_NESTED_LISTS) {
    scope.issues.add({
      field,
      reason: 'INVALID_ACTION',
      message: `action lists nest at most ${MAX_NESTED_LISTS} deep`,
    });
    return value;
  }
  return checkList(value, field, { ...scope, depth: scope.depth + 1 });
}

/** Checks one list of actions; ids and jumps resolve within this list only. */
function checkList(input: unknown, field: string, scope: ListScope): FlowAction[] {
  const { issues } = scope;
  if (!Array.isArray(input)) {
    issues.add({ field, reason: 'INVALID_ACTION', message: `${showValue(input)} is not an array of actions` });
    return [];
  }
  if (input.length > scope.maxActions) {
    issues.add({
      field,
      reason: 'INVALID_ACTION',
      message: `has ${input.length} actions, at most ${scope.maxActions} allowed`,
    });
    return [];
  }
  duplicateIdIssues(input, field, issues);
  const envelopes = input.map((raw, index) => readEnvelope(raw, childField(field, index, true), issues));
  const actionIds = new Set<string>();
  input.forEach((raw) => {
    const id = givenId(raw);
    if (id !== undefined) actionIds.add(id);
  });
  const ctx: OptionCheckContext = { actionIds, isSupportedLanguage: scope.isSupportedLanguage };
  const actions: FlowAction[] = [];
  envelopes.forEach((envelope, index) => {
    if (envelope !== undefined && !issues.full)
      actions.push(checkAction(envelope, childField(field, index, true), ctx, scope));
  });
  return actions;
}

/**
 * Validates a flow's action list against the catalogue and returns it in stored form: missing ids
 * get fresh UUIDs, a missing `next_id` the nil UUID, a missing `option` `{}`. A list beyond the
 * size limits of {@link checkFlowLimits} is refused before anything else looks at it. Throws a
 * `ValidationError` listing up to 20 problems, each with its field path (`actions[2].option.target_id`)
 * and reason (`INVALID_ACTION`, `INVALID_ACTION_TARGET`, `DUPLICATE_ACTION_ID`, `INVALID_E164`, …).
 */
export function validateFlowActions(input: unknown, opts: ValidateFlowActionsOptions = {}): FlowAction[] {
  checkFlowLimits(input, opts);
  const issues = new IssueList(MAX_VALIDATION_DETAILS);
  const scope: ListScope = {
    issues,
    maxActions: opts.maxActions ?? DEFAULT_MAX_ACTIONS,
    isSupportedLanguage: opts.isSupportedLanguage,
    depth: 0,
  };
  const actions = checkList(input, opts.fieldPrefix ?? 'actions', scope);
  if (issues.size > 0) throw new ValidationError(issues.toArray());
  return actions;
}
