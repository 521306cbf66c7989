import { MAX_EXECUTED_ACTIONS } from '../flow-engine.ts';
import { loopCount } from './flow-graph.ts';
import type { FlowGraph } from './flow-graph.ts';
import type { LintWarning } from './lint-types.ts';
import { warning } from './lint-warning.ts';

/** `GOTO_NEVER_JUMPS`: a `goto` without `loop_count` (or 0) falls through at once, as VoIPBIN's default does. */
export function gotoWarnings(graph: FlowGraph): LintWarning[] {
  return graph.actions
    .filter((action) => action.type === 'goto' && loopCount(action) === 0)
    .map((action) =>
      warning(
        action,
        'GOTO_NEVER_JUMPS',
        'loop_count is absent or 0, so this goto never jumps and the flow moves on to the next action; give loop_count (1 to 1000)',
      ),
    );
}

/** Most members of a loop one warning names. */
const MAX_MEMBERS_SHOWN = 20;

/** The member of a closed loop that leads back into it: the last one in list order, preferring an unbounded edge to a goto's counted jump. */
function loopCloser(graph: FlowGraph, members: ReadonlySet<number>): number {
  let closer = -1;
  let closerBounded = true;
  for (const node of members) {
    for (const next of graph.successors[node] ?? []) {
      if (!members.has(next) || next > node) continue;
      const bounded = graph.gotoTargets.get(node) === next;
      if ((closerBounded && !bounded) || (closerBounded === bounded && node > closer)) {
        closer = node;
        closerBounded = bounded;
      }
    }
  }
  if (closer >= 0) return closer;
  for (const node of members) closer = Math.max(closer, node);
  return closer;
}

/**
 * `LOOP_WITHOUT_EXIT`: a loop the flow cannot leave (no edge out, no `hangup`/`stop`, no
 * `fetch`/`fetch_flow` whose list might leave it) runs until the engine's guard or the caller ends it.
 */
export function exitlessLoopWarnings(graph: FlowGraph, reachable: ReadonlySet<number>): LintWarning[] {
  const out: LintWarning[] = [];
  for (const component of graph.components()) {
    const first = component[0];
    if (first === undefined || !reachable.has(first)) continue;
    const members = new Set(component);
    const cyclic = component.length > 1 || (graph.successors[first] ?? []).includes(first);
    if (!cyclic) continue;
    const leaves = component.some(
      (node) =>
        graph.isEnding(node) ||
        graph.runsUnknownList(node) ||
        (graph.successors[node] ?? []).some((next) => !members.has(next)),
    );
    if (leaves) continue;
    const closer = graph.actions[loopCloser(graph, members)];
    if (closer === undefined) continue;
    const named = component.slice(0, MAX_MEMBERS_SHOWN).map((node) => graph.actions[node]?.field ?? '');
    if (component.length > MAX_MEMBERS_SHOWN) named.push(`${component.length - MAX_MEMBERS_SHOWN} more`);
    const ids = named.join(', ');
    out.push(
      warning(
        closer,
        'LOOP_WITHOUT_EXIT',
        `the loop of ${ids} has no way out (no branch, condition or next_id leaves it, and no hangup or stop is in it): it runs until the engine stops the flow after ${MAX_EXECUTED_ACTIONS.toLocaleString('en-US')} actions or the caller hangs up`,
      ),
    );
  }
  return out;
}
