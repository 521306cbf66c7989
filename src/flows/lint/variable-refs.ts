import { DIGITS_VARIABLE, RESERVED_VARIABLE_PREFIX } from '../variables.ts';
import type { LintAction } from './lint-types.ts';

const REFERENCE = /\$\{([^}]*)\}/g;

/** Prefixes of the variables callbin sets itself (docs/flows.md "Variables"). */
const BUILT_IN_PREFIXES = [RESERVED_VARIABLE_PREFIX, 'callbin.'];

/** True for a variable callbin sets itself (`voipbin.*`, `callbin.*`). */
export function isBuiltInVariable(name: string): boolean {
  return BUILT_IN_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** Every string inside a value, nested objects and arrays included. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) strings(item, out);
  return out;
}

/** The names `${…}` references in a text, in order, each once. */
export function referencesIn(text: string): string[] {
  return [...new Set([...text.matchAll(REFERENCE)].map((match) => match[1] ?? ''))];
}

/** The text with every `${…}` replaced. */
export function replaceReferences(text: string, by: (name: string) => string): string {
  return text.replace(REFERENCE, (_match, name: string) => by(name));
}

/** The variable names an action reads: `${…}` in any string of its option, and the name `branch` switches on. */
export function variablesRead(action: LintAction): string[] {
  const names = new Set<string>();
  if (action.type === 'call') {
    // The inline actions run in the new calls' own activeflows: their references are theirs.
    const { actions: _nested, ...rest } = action.option;
    for (const text of strings(rest)) for (const name of referencesIn(text)) names.add(name);
  } else {
    for (const text of strings(action.option)) for (const name of referencesIn(text)) names.add(name);
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
export function readsDigits(action: LintAction): boolean {
  if (action.type === 'condition_call_digits' || action.type === 'fetch' || action.type === 'fetch_flow') return true;
  if (action.type === 'external_media_start') {
    const handed = action.option['variables'];
    if (Array.isArray(handed) && handed.includes(DIGITS_VARIABLE)) return true;
  }
  return variablesRead(action).includes(DIGITS_VARIABLE);
}
