import { branchWarnings, extensionWarnings, talkWarnings } from './action-checks.ts';
import { FlowGraph, nestedLists, readLintList } from './flow-graph.ts';
import { LOOP_GUARD_MAX_STEPS, guardWarnings } from './loop-guard.ts';
import type { GuardAllowance } from './loop-guard.ts';
import type { LintContext, LintWarning } from './lint-types.ts';
import { LintWork } from './lint-work.ts';
import { exitlessLoopWarnings, gotoWarnings } from './loops.ts';
import { reachabilityWarnings } from './reachability.ts';
import { unsetVariableWarnings, unusedDigitsWarnings } from './variables-check.ts';

/** How deep inline lists (`call.actions`) are followed, as validation allows (docs/flows.md "Flow"). */
const MAX_NESTED_LISTS = 3;

/** Most warnings one lint answers: the first ones in list order. */
export const MAX_WARNINGS = 100;

/** What one lint shares between its lists: the work counted, the loop-count check's budget, the extensions looked up. */
interface LintRun {
  readonly work: LintWork;
  readonly guard: GuardAllowance;
  readonly extensions: Map<string, boolean>;
}

async function lintList(
  raw: unknown,
  field: string,
  context: LintContext,
  run: LintRun,
  depth: number,
): Promise<LintWarning[]> {
  const graph = new FlowGraph(readLintList(raw, field), run.work);
  const reachable = graph.reachable();
  const found = [
    ...reachabilityWarnings(graph, reachable),
    ...exitlessLoopWarnings(graph, reachable),
    ...guardWarnings(graph, reachable, run.guard),
    ...gotoWarnings(graph),
    ...unsetVariableWarnings(graph, context),
    ...branchWarnings(graph),
    ...unusedDigitsWarnings(graph),
    ...talkWarnings(graph, context),
    ...(await extensionWarnings(graph, context, run.extensions)),
  ];
  run.work.add(found.length);
  const byField = new Map<string, LintWarning[]>();
  for (const w of found) {
    const list = byField.get(w.field);
    if (list === undefined) byField.set(w.field, [w]);
    else list.push(w);
  }
  const out: LintWarning[] = [];
  // The inline actions of `call` run as the new calls' own flows, without the request's variables.
  const { presetVariables: _preset, ...nestedContext } = context;
  for (const action of graph.actions) {
    out.push(...(byField.get(action.field) ?? []));
    if (depth >= MAX_NESTED_LISTS || out.length >= MAX_WARNINGS) continue;
    for (const nested of nestedLists(action))
      out.push(...(await lintList(nested.raw, nested.field, nestedContext, run, depth + 1)));
  }
  return out;
}

/**
 * Lints a flow's actions (stored ones, or a list that has not passed validation): what validation
 * accepts but a call would trip over, as warnings in list order, each with its action's id, field
 * path, code and message (docs/testing-your-flows.md "Linter"). Follows `next_id`, the jumps of each
 * action's schema and the end of the list; inline `call.actions` lists are linted as the flows they
 * are; the list a `fetch`/`fetch_flow` runs cannot be known before the call and is assumed to be able to
 * jump, set variables and hang up. At most {@link MAX_WARNINGS} warnings, the first in list order.
 * Its work grows linearly with the flow, but for the loop-count check, which has a budget.
 */
export async function lintFlow(actions: unknown, context: LintContext = {}, field = 'actions'): Promise<LintWarning[]> {
  const run: LintRun = {
    work: context.work ?? new LintWork(),
    guard: { steps: LOOP_GUARD_MAX_STEPS },
    extensions: new Map(),
  };
  return (await lintList(actions, field, context, run, 0)).slice(0, MAX_WARNINGS);
}
