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
  return closer < 0 ? Math.max(...members) : closer;
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
    const ids = component.map((node) => graph.actions[node]?.field ?? '').join(', ');
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

/** `loop_count` of the goto at `node` (0 for anything else). */
function countAt(graph: FlowGraph, node: number): number {
  const action = graph.actions[node];
  return action === undefined ? 0 : loopCount(action);
}

/** The actions a `goto`'s jump repeats: those on a path from its target back to it. */
function loopBody(graph: FlowGraph, gotoNode: number, target: number): Set<number> {
  const forward = graph.reachableFrom(target, gotoNode);
  if (!forward.has(gotoNode)) return new Set();
  const backward = graph.reaching(gotoNode);
  return new Set([...forward].filter((node) => node !== graph.end && backward.has(node)));
}

/**
 * `LOOP_EXCEEDS_GUARD`: each action of a `goto` loop runs `loop_count + 1` times, times the counts
 * of the loops around it (a goto's count starts again once it falls through); a loop whose actions
 * together pass the engine's guard of executed actions ends the activeflow before its count is
 * done (docs/flows.md "Limits"). Reported on the outermost such loop.
 */
export function guardWarnings(graph: FlowGraph, reachable: ReadonlySet<number>): LintWarning[] {
  const bodies = new Map<number, Set<number>>();
  for (const [gotoNode, target] of graph.gotoTargets) {
    if (!reachable.has(gotoNode)) continue;
    const body = loopBody(graph, gotoNode, target);
    if (body.size > 0) bodies.set(gotoNode, body);
  }
  // How often each action runs: the product of `loop_count + 1` of every loop it is in.
  const times = new Map<number, number>();
  for (const [gotoNode, body] of bodies) {
    for (const node of body) times.set(node, (times.get(node) ?? 1) * (countAt(graph, gotoNode) + 1));
  }
  /** True when the loop of goto `inner` lies inside the loop of goto `outer` (its goto and target are in it). */
  const inside = (inner: number, outer: number): boolean => {
    const around = bodies.get(outer);
    const target = graph.gotoTargets.get(inner);
    return inner !== outer && around !== undefined && target !== undefined && around.has(inner) && around.has(target);
  };
  const runs = new Map<number, number>();
  for (const [gotoNode, body] of bodies) {
    const total = [...body].reduce((sum, node) => sum + (times.get(node) ?? 1), 0);
    if (total > MAX_EXECUTED_ACTIONS) runs.set(gotoNode, total);
  }
  const out: LintWarning[] = [];
  for (const [gotoNode, total] of runs) {
    const enclosed = [...runs.keys()].some(
      (other) => inside(gotoNode, other) && (!inside(other, gotoNode) || other < gotoNode),
    );
    const action = graph.actions[gotoNode];
    if (enclosed || action === undefined) continue;
    const size = bodies.get(gotoNode)?.size ?? 0;
    const counts = [...bodies.keys()]
      .filter((node) => node === gotoNode || inside(node, gotoNode))
      .map((node) => countAt(graph, node));
    const shown = counts.length > 8 ? [...counts.slice(0, 8), '…'] : counts;
    out.push(
      warning(
        action,
        'LOOP_EXCEEDS_GUARD',
        `this loop runs up to ${total > 1e9 ? 'over a billion' : `about ${Math.round(total).toLocaleString('en-US')}`} actions (${size} actions, loop_count ${shown.join(' × ')}), more than the ${MAX_EXECUTED_ACTIONS.toLocaleString('en-US')} actions the engine runs before it ends the activeflow`,
      ),
    );
  }
  return out;
}
