import type { FlowGraph } from './flow-graph.ts';
import type { LintWarning } from './lint-types.ts';
import { warning } from './lint-warning.ts';

/**
 * `UNREACHABLE_ACTION` for actions no path from the first one reaches, and `NO_HANGUP` when no path
 * reaches a `hangup`, a `stop` or the end of the list. A reachable `fetch`/`fetch_flow` runs a list
 * that may jump anywhere or hang up, so neither is reported then (docs/testing-your-flows.md "Linter").
 */
export function reachabilityWarnings(graph: FlowGraph, reachable: ReadonlySet<number>): LintWarning[] {
  const nodes = [...reachable];
  if (nodes.some((node) => graph.runsUnknownList(node))) return [];
  const out: LintWarning[] = [];
  graph.actions.forEach((action, index) => {
    if (reachable.has(index)) return;
    out.push(
      warning(
        action,
        'UNREACHABLE_ACTION',
        'no path from the first action reaches this action: no next_id or jump leads here and the action before it does not move on to it',
      ),
    );
  });
  const first = graph.actions[0];
  const ends = reachable.has(graph.end) || nodes.some((node) => graph.isEnding(node));
  if (first !== undefined && !ends) {
    out.push(
      warning(
        first,
        'NO_HANGUP',
        'no path reaches a hangup, a stop or the end of the list: the call ends only when the engine stops the flow after 1,000 actions or the caller hangs up',
      ),
    );
  }
  return out;
}
