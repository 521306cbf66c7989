import { NIL_UUID } from '../../shared/index.ts';
import { actionDefinition } from '../actions/registry.ts';
import { isActionType } from '../actions/action-types.ts';
import { markedValues } from '../marked-values.ts';
import { childField } from '../schema-issues.ts';
import type { LintAction } from './lint-types.ts';

/** Types after which the activeflow ends (docs/flows.md "Action options"). */
const ENDING_TYPES = new Set(['hangup', 'stop']);

/**
 * Types that run a list of actions nobody can read before the call (docs/flows.md "Execution"):
 * the list may jump to any action of the flow, set any variable, or hang up.
 */
const UNKNOWN_LIST_TYPES = new Set(['fetch', 'fetch_flow']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isUnset(id: string): boolean {
  return id === '' || id === NIL_UUID;
}

/** Reads a list as the linter sees it, whether it passed validation or not; items that are no object become plain steps. */
export function readLintList(raw: unknown, field: string): LintAction[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((item: unknown, index) => {
    const at = childField(field, index, true);
    if (!isRecord(item)) return { id: '', next_id: '', type: '', option: {}, field: at };
    const text = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : '');
    const option = isRecord(item['option']) ? item['option'] : {};
    return { id: text('id'), next_id: text('next_id'), type: text('type'), option, field: at };
  });
}

/** The nested action lists of an action's option (`call.actions`), found through its schema, with their field paths. */
export function nestedLists(action: LintAction): { raw: unknown; field: string }[] {
  if (!isActionType(action.type)) return [];
  return markedValues(actionDefinition(action.type).schema, action.option, `${action.field}.option`)
    .filter((marked) => marked.check === 'actions')
    .map((marked) => ({ raw: marked.value, field: marked.field }));
}

/** The action ids an option jumps to, found through the schema's action references (`goto.target_id`, `branch.target_ids`, `condition_*.false_target_id`). */
function jumpTargets(action: LintAction): string[] {
  if (!isActionType(action.type)) return [];
  return markedValues(actionDefinition(action.type).schema, action.option, `${action.field}.option`)
    .filter((marked) => marked.check === 'action-ref' || marked.check === 'action-ref-or-unset')
    .map((marked) => (typeof marked.value === 'string' ? marked.value : ''))
    .filter((id) => !isUnset(id));
}

/** `goto.loop_count`, 0 when absent (VoIPBIN's default: the jump is not taken). */
export function loopCount(action: LintAction): number {
  const count = action.option['loop_count'];
  return typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 0;
}

/** True when a `branch` names a default target, so it never falls through. */
export function hasDefaultTarget(action: LintAction): boolean {
  const target = action.option['default_target_id'];
  return typeof target === 'string' && !isUnset(target);
}

/**
 * The control flow of one list: node `i` is action `i`, node `n` the end of the list (the activeflow
 * ends there, and a call with it). Edges follow docs/flows.md "Execution".
 */
export class FlowGraph {
  readonly actions: readonly LintAction[];
  /** The node past the last action. */
  readonly end: number;
  readonly successors: readonly (readonly number[])[];
  /** For each `goto` that jumps, the node it jumps to. */
  readonly gotoTargets: ReadonlyMap<number, number>;
  readonly #indexById = new Map<string, number>();
  #predecessors: number[][] | undefined;

  constructor(actions: readonly LintAction[]) {
    this.actions = actions;
    this.end = actions.length;
    actions.forEach((action, index) => {
      if (action.id !== '' && !this.#indexById.has(action.id)) this.#indexById.set(action.id, index);
    });
    const gotoTargets = new Map<number, number>();
    this.successors = actions.map((action, index) => this.#successorsOf(action, index, gotoTargets));
    this.gotoTargets = gotoTargets;
  }

  /** Node of the action with `id`, or undefined. */
  indexOf(id: string): number | undefined {
    return this.#indexById.get(id);
  }

  /** True when the action ends the activeflow (`hangup`, `stop`). */
  isEnding(index: number): boolean {
    return ENDING_TYPES.has(this.actions[index]?.type ?? '');
  }

  /** True when the action runs a list that cannot be read before the call (`fetch`, `fetch_flow`). */
  runsUnknownList(index: number): boolean {
    return UNKNOWN_LIST_TYPES.has(this.actions[index]?.type ?? '');
  }

  /** Where the cursor goes when the action completes as usual: its `next_id`, else the next element. */
  #nextOf(action: LintAction, index: number): number {
    if (isUnset(action.next_id)) return index + 1;
    return this.#indexById.get(action.next_id) ?? index + 1;
  }

  #successorsOf(action: LintAction, index: number, gotoTargets: Map<number, number>): number[] {
    if (ENDING_TYPES.has(action.type)) return [];
    const out = new Set<number>();
    const jumps = jumpTargets(action)
      .map((id) => this.#indexById.get(id))
      .filter((target): target is number => target !== undefined);
    if (action.type === 'goto') {
      const target = jumps[0];
      if (target !== undefined && loopCount(action) > 0) {
        out.add(target);
        gotoTargets.set(index, target);
      }
    } else {
      for (const target of jumps) out.add(target);
    }
    const defaultTarget = action.option['default_target_id'];
    const jumpsByDefault =
      action.type === 'branch' && typeof defaultTarget === 'string' && this.#indexById.has(defaultTarget);
    if (!jumpsByDefault) out.add(this.#nextOf(action, index));
    return [...out];
  }

  /** Every node reachable from `from` (included), not walking through `avoid`. */
  reachableFrom(from: number, avoid?: number): Set<number> {
    const seen = new Set<number>([from]);
    const stack = [from];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node === avoid && node !== from) continue;
      for (const next of this.successors[node] ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        if (next !== avoid) stack.push(next);
      }
    }
    return seen;
  }

  /** Every node from which `to` can be reached (included). */
  reaching(to: number): Set<number> {
    if (this.#predecessors === undefined) {
      const predecessors: number[][] = Array.from({ length: this.end + 1 }, () => []);
      this.successors.forEach((next, node) => {
        for (const n of next) predecessors[n]?.push(node);
      });
      this.#predecessors = predecessors;
    }
    const seen = new Set<number>([to]);
    const stack = [to];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      for (const before of this.#predecessors[node] ?? []) {
        if (seen.has(before)) continue;
        seen.add(before);
        stack.push(before);
      }
    }
    return seen;
  }

  /** The nodes the flow reaches from its first action (the end node included when reached). */
  reachable(): Set<number> {
    return this.actions.length === 0 ? new Set() : this.reachableFrom(0);
  }

  /** Strongly connected components of the action nodes (Tarjan), each a list of nodes. */
  components(): number[][] {
    const index = new Map<number, number>();
    const low = new Map<number, number>();
    const onStack = new Set<number>();
    const stack: number[] = [];
    const out: number[][] = [];
    let counter = 0;
    const visit = (node: number): void => {
      index.set(node, counter);
      low.set(node, counter);
      counter += 1;
      stack.push(node);
      onStack.add(node);
      for (const next of this.successors[node] ?? []) {
        if (next === this.end) continue;
        if (!index.has(next)) {
          visit(next);
          low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
        } else if (onStack.has(next)) {
          low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
        }
      }
      if (low.get(node) !== index.get(node)) return;
      const component: number[] = [];
      for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
        onStack.delete(member);
        component.push(member);
        if (member === node) break;
      }
      out.push(component.sort((a, b) => a - b));
    };
    for (let node = 0; node < this.actions.length; node++) if (!index.has(node)) visit(node);
    return out;
  }
}
