import { MAX_EXECUTED_ACTIONS } from '../flow-engine.ts';
import { loopCount } from './flow-graph.ts';
import type { FlowGraph } from './flow-graph.ts';
import type { LintWarning } from './lint-types.ts';
import { warning } from './lint-warning.ts';

/**
 * Steps the loop-count check may take per action and jump of a list. Its goto loops may overlap in
 * ways whose counting grows with the square of the list (docs/testing-your-flows.md "Linter"); past
 * this budget the check stops and says so.
 */
export const LOOP_GUARD_STEPS_PER_ELEMENT = 256;

/** Most steps the loop-count check takes in one lint, all its lists together. */
export const LOOP_GUARD_MAX_STEPS = 2_000_000;

/** What the loop-count check has left to spend in one lint. */
export interface GuardAllowance {
  steps: number;
}

/** `loop_count` of the goto at `node` (0 for anything else). */
function countAt(graph: FlowGraph, node: number): number {
  const action = graph.actions[node];
  return action === undefined ? 0 : loopCount(action);
}

/** Raised inside the check when its budget is spent. */
class BudgetSpent extends Error {}

/**
 * The loops of a list's gotos: for each reachable goto that jumps, the actions its jump repeats
 * (those on a path from its target back to it). They all lie in the goto's strongly connected
 * component, which every one of them reaches the goto from: the walk stays inside it.
 */
function loopBodies(graph: FlowGraph, reachable: ReadonlySet<number>, spend: (steps: number) => void) {
  const componentOf = new Int32Array(graph.end).fill(-1);
  graph.components().forEach((component, c) => {
    for (const node of component) componentOf[node] = c;
  });
  const bodies = new Map<number, Set<number>>();
  for (const [gotoNode, target] of graph.gotoTargets) {
    const component = componentOf[gotoNode];
    if (!reachable.has(gotoNode) || component === -1 || componentOf[target] !== component) continue;
    // From the target, inside the component, not walking through the goto (unless it is the target).
    const body = new Set<number>([target]);
    const stack = [target];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node === gotoNode && node !== target) continue;
      const next = graph.successors[node] ?? [];
      spend(1 + next.length);
      for (const n of next) {
        if (body.has(n) || componentOf[n] !== component) continue;
        body.add(n);
        stack.push(n);
      }
    }
    if (body.has(gotoNode)) bodies.set(gotoNode, body);
  }
  return bodies;
}

/**
 * `LOOP_EXCEEDS_GUARD`: each action of a `goto` loop runs `loop_count + 1` times, times the counts
 * of the loops around it (a goto's count starts again once it falls through); a loop whose actions
 * together pass the engine's guard of executed actions ends the activeflow before its count is
 * done (docs/flows.md "Limits"). Reported on the outermost such loop. The check spends at most
 * {@link LOOP_GUARD_STEPS_PER_ELEMENT} steps per action and jump, and what is left of
 * {@link LOOP_GUARD_MAX_STEPS} for the lint; past that it stops with one `LINT_BUDGET_EXCEEDED`
 * on the list's first action instead.
 */
export function guardWarnings(
  graph: FlowGraph,
  reachable: ReadonlySet<number>,
  allowance: GuardAllowance = { steps: LOOP_GUARD_MAX_STEPS },
): LintWarning[] {
  const budget = Math.min(LOOP_GUARD_STEPS_PER_ELEMENT * (graph.actions.length + graph.jumps), allowance.steps);
  let spent = 0;
  const spend = (steps: number): void => {
    spent += steps;
    allowance.steps -= steps;
    graph.work.add(steps);
    if (spent > budget) throw new BudgetSpent();
  };
  try {
    return loopsPastGuard(graph, loopBodies(graph, reachable, spend), spend);
  } catch (err) {
    const first = graph.actions[0];
    if (!(err instanceof BudgetSpent) || first === undefined) throw err;
    return [
      warning(
        first,
        'LINT_BUDGET_EXCEEDED',
        `the goto loops of this list overlap too much to count within the linter's budget (${LOOP_GUARD_STEPS_PER_ELEMENT} steps per action and jump, ${LOOP_GUARD_MAX_STEPS.toLocaleString('en-US')} a flow): their loop counts were not checked against the engine's guard (LOOP_EXCEEDS_GUARD); every other check ran`,
      ),
    ];
  }
}

function loopsPastGuard(
  graph: FlowGraph,
  bodies: ReadonlyMap<number, ReadonlySet<number>>,
  spend: (steps: number) => void,
): LintWarning[] {
  // How often each action runs: the product of `loop_count + 1` of every loop it is in.
  const times = new Float64Array(graph.end).fill(1);
  for (const [gotoNode, body] of bodies) {
    spend(body.size);
    for (const node of body) times[node] = (times[node] ?? 1) * (countAt(graph, gotoNode) + 1);
  }
  /** True when the loop of goto `inner` lies inside the loop of goto `outer` (its goto and target are in it). */
  const inside = (inner: number, outer: number): boolean => {
    const around = bodies.get(outer);
    const target = graph.gotoTargets.get(inner);
    return inner !== outer && around !== undefined && target !== undefined && around.has(inner) && around.has(target);
  };
  const runs = new Map<number, number>();
  for (const [gotoNode, body] of bodies) {
    spend(body.size);
    let total = 0;
    for (const node of body) total += times[node] ?? 1;
    if (total > MAX_EXECUTED_ACTIONS) runs.set(gotoNode, total);
  }
  // A loop past the guard inside another one past it is reported through the outer one (of two
  // loops inside each other, through the first in list order).
  const enclosed = new Set<number>();
  for (const outer of runs.keys()) {
    const body = bodies.get(outer) ?? new Set<number>();
    spend(body.size);
    for (const inner of body)
      if (runs.has(inner) && inside(inner, outer) && (!inside(outer, inner) || outer < inner)) enclosed.add(inner);
  }
  const out: LintWarning[] = [];
  for (const [gotoNode, total] of runs) {
    const action = graph.actions[gotoNode];
    const body = bodies.get(gotoNode);
    if (enclosed.has(gotoNode) || action === undefined || body === undefined) continue;
    spend(body.size);
    const counts = [...body]
      .filter((node) => node === gotoNode || (bodies.has(node) && inside(node, gotoNode)))
      .sort((a, b) => a - b)
      .map((node) => countAt(graph, node));
    const shown = counts.length > 8 ? [...counts.slice(0, 8), '…'] : counts;
    out.push(
      warning(
        action,
        'LOOP_EXCEEDS_GUARD',
        `this loop runs up to ${total > 1e9 ? 'over a billion' : `about ${Math.round(total).toLocaleString('en-US')}`} actions (${body.size} actions, loop_count ${shown.join(' × ')}), more than the ${MAX_EXECUTED_ACTIONS.toLocaleString('en-US')} actions the engine runs before it ends the activeflow`,
      ),
    );
  }
  return out;
}
