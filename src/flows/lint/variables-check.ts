import type { FlowGraph } from './flow-graph.ts';
import type { LintContext, LintWarning } from './lint-types.ts';
import { warning } from './lint-warning.ts';
import { isBuiltInVariable, readsDigits, setsUnknownVariables, variableSet, variablesRead } from './variable-refs.ts';

/** Most unset names one warning lists. */
const MAX_NAMES_SHOWN = 10;

/** The variables some action of the list or the request sets; undefined when an action may set any. */
export function setVariables(graph: FlowGraph, context: LintContext): Set<string> | undefined {
  if (graph.actions.some(setsUnknownVariables)) return undefined;
  const names = new Set(context.presetVariables ?? []);
  for (const action of graph.actions) {
    const name = variableSet(action);
    if (name !== undefined) names.add(name);
  }
  return names;
}

/**
 * `VARIABLE_NEVER_SET`: a variable read but set by no action of the list, no built-in and no preset;
 * it reads as `""` (docs/flows.md "Variables"). Not reported when a `fetch`, `fetch_flow` or `sync`
 * stream may set variables nobody can name beforehand.
 */
export function unsetVariableWarnings(graph: FlowGraph, context: LintContext): LintWarning[] {
  const set = setVariables(graph, context);
  if (set === undefined) return [];
  const out: LintWarning[] = [];
  for (const action of graph.actions) {
    const unset = variablesRead(action, graph.work).filter((name) => !isBuiltInVariable(name) && !set.has(name));
    if (unset.length === 0) continue;
    const shown = unset.slice(0, MAX_NAMES_SHOWN).map((name) => `"${name}"`);
    if (unset.length > MAX_NAMES_SHOWN) shown.push(`${unset.length - MAX_NAMES_SHOWN} more`);
    const names = shown.join(', ');
    out.push(
      warning(
        action,
        'VARIABLE_NEVER_SET',
        `reads the variable${unset.length > 1 ? 's' : ''} ${names}, which no action sets (no variable_set with that key): ${unset.length > 1 ? 'each reads' : 'it reads'} as "" unless the call or activeflow request gives it`,
      ),
    );
  }
  return out;
}

/**
 * `DIGITS_NOT_USED`: digits collected by `digits_receive` that no action after it reads. One walk
 * back from every reader finds the actions some reader comes after; a `digits_receive` none of whose
 * successors is one of them has no reader after it.
 */
export function unusedDigitsWarnings(graph: FlowGraph): LintWarning[] {
  const receivers = graph.actions.filter((action) => action.type === 'digits_receive');
  if (receivers.length === 0) return [];
  const readers: number[] = [];
  graph.actions.forEach((action, index) => {
    if (readsDigits(action, graph.work)) readers.push(index);
  });
  const beforeReader = graph.reaching(readers);
  const out: LintWarning[] = [];
  graph.actions.forEach((action, index) => {
    if (action.type !== 'digits_receive') return;
    if ((graph.successors[index] ?? []).some((next) => beforeReader.has(next))) return;
    out.push(
      warning(
        action,
        'DIGITS_NOT_USED',
        'no branch, condition or ${voipbin.call.digits} after this digits_receive reads the digits it collects',
      ),
    );
  });
  return out;
}
