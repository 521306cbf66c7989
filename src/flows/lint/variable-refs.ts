import { DIGITS_VARIABLE, RESERVED_VARIABLE_PREFIX } from '../variables.ts';
import type { LintAction } from './lint-types.ts';
import type { LintWork } from './lint-work.ts';

/** Prefixes of the variables callbin sets itself (docs/flows.md "Variables"). */
const BUILT_IN_PREFIXES = [RESERVED_VARIABLE_PREFIX, 'callbin.'];

/** True for a variable callbin sets itself (`voipbin.*`, `callbin.*`). */
export function isBuiltInVariable(name: string): boolean {
  return BUILT_IN_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** Every string inside a value, nested objects and arrays included (walked without recursion, to any depth). */
function strings(value: unknown, work?: LintWork): string[] {
  const out: string[] = [];
  const stack = [value];
  for (let item = stack.pop(); stack.length > 0 || item !== undefined; item = stack.pop()) {
    work?.add(1);
    if (typeof item === 'string') out.push(item);
    else if (Array.isArray(item)) for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]);
    else if (item !== null && typeof item === 'object') {
      const values = Object.values(item);
      for (let i = values.length - 1; i >= 0; i--) stack.push(values[i]);
    }
  }
  return out;
}

/**
 * Each `${…}` of a text, as `[start, end, name]`: from a `${` to the first `}` after it. Read in one
 * pass: a `${` with no `}` after it ends the search, for no later one can be closed either.
 */
function references(text: string, work?: LintWork): [number, number, string][] {
  work?.add(text.length);
  const out: [number, number, string][] = [];
  for (let at = text.indexOf('${'); at !== -1; ) {
    const close = text.indexOf('}', at + 2);
    if (close === -1) break;
    out.push([at, close + 1, text.slice(at + 2, close)]);
    at = text.indexOf('${', close + 1);
  }
  return out;
}

/** The names `${…}` references in a text, in order, each once. */
export function referencesIn(text: string, work?: LintWork): string[] {
  return [...new Set(references(text, work).map(([, , name]) => name))];
}

/** The text with every `${…}` replaced. */
export function replaceReferences(text: string, by: (name: string) => string, work?: LintWork): string {
  let out = '';
  let done = 0;
  for (const [start, end, name] of references(text, work)) {
    out += text.slice(done, start) + by(name);
    done = end;
  }
  return out + text.slice(done);
}

/** The variable names an action reads: `${…}` in any string of its option, and the name `branch` switches on. */
export function variablesRead(action: LintAction, work?: LintWork): string[] {
  const names = new Set<string>();
  if (action.type === 'call') {
    // The inline actions run in the new calls' own activeflows: their references are theirs.
    const { actions: _nested, ...rest } = action.option;
    for (const text of strings(rest, work)) for (const name of referencesIn(text, work)) names.add(name);
  } else {
    for (const text of strings(action.option, work)) for (const name of referencesIn(text, work)) names.add(name);
  }
  if (action.type === 'branch') {
    const variable = action.option['variable'];
    names.add(typeof variable === 'string' ? variable : DIGITS_VARIABLE);
  }
  return [...names];
}

/** The variable an action sets by name (`variable_set.key`), or undefined. */
export function variableSet(action: LintAction): string | undefined {
  const key = action.option['key'];
  return action.type === 'variable_set' && typeof key === 'string' ? key : undefined;
}

/**
 * True when the action may set variables nobody can name before the call: the list of a
 * `fetch`/`fetch_flow`, or the bot of a `sync` `external_media_start` handing variables back.
 */
export function setsUnknownVariables(action: LintAction): boolean {
  if (action.type === 'fetch' || action.type === 'fetch_flow') return true;
  return action.type === 'external_media_start' && action.option['sync'] === true;
}

/**
 * True when the action reads the collected digits: a `branch` on them, `condition_call_digits`, a
 * `${voipbin.call.digits}` anywhere in its option, a `fetch`/`fetch_flow` (the customer's server gets
 * the activeflow with its variables), or a stream that hands them to the bot.
 */
export function readsDigits(action: LintAction, work?: LintWork): boolean {
  if (action.type === 'condition_call_digits' || action.type === 'fetch' || action.type === 'fetch_flow') return true;
  if (action.type === 'external_media_start') {
    const handed = action.option['variables'];
    if (Array.isArray(handed) && handed.includes(DIGITS_VARIABLE)) return true;
  }
  return variablesRead(action, work).includes(DIGITS_VARIABLE);
}
