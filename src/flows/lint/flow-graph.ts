import { NIL_UUID } from '../../shared/index.ts';
import { actionDefinition } from '../actions/registry.ts';
import { isActionType } from '../actions/action-types.ts';
import { markedValues } from '../marked-values.ts';
import { childField } from '../schema-issues.ts';
import type { LintAction } from './lint-types.ts';
import { LintWork } from './lint-work.ts';

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
  /** How many jumps (edges) the graph has. */
  readonly jumps: number;
  /** Where the work of walking the graph is counted. */
  readonly work: LintWork;
  readonly #indexById = new Map<string, number>();
  #predecessors: number[][] | undefined;
  #components: number[][] | undefined;

  constructor(actions: readonly LintAction[], work: LintWork = new LintWork()) {
    this.actions = actions;
    this.end = actions.length;
    this.work = work;
    actions.forEach((action, index) => {
      if (action.id !== '' && !this.#indexById.has(action.id)) this.#indexById.set(action.id, index);
    });
    const gotoTargets = new Map<number, number>();
    this.successors = actions.map((action, index) => this.#successorsOf(action, index, gotoTargets));
    this.gotoTargets = gotoTargets;
    this.jumps = this.successors.reduce((sum, next) => sum + next.length, 0);
    work.add(actions.length + this.jumps);
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
      const next = this.successors[node] ?? [];
      this.work.add(1 + next.length);
      for (const n of next) {
        if (seen.has(n)) continue;
        seen.add(n);
        if (n !== avoid) stack.push(n);
      }
    }
    return seen;
  }

  /** Every node from which one of `targets` can be reached (the targets included). */
  reaching(targets: readonly number[]): Set<number> {
    if (this.#predecessors === undefined) {
      const predecessors: number[][] = Array.from({ length: this.end + 1 }, () => []);
      this.successors.forEach((next, node) => {
        for (const n of next) predecessors[n]?.push(node);
      });
      this.work.add(this.end + 1 + this.jumps);
      this.#predecessors = predecessors;
    }
    const seen = new Set<number>(targets);
    const stack = [...seen];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      const before = this.#predecessors[node] ?? [];
      this.work.add(1 + before.length);
      for (const b of before) {
        if (seen.has(b)) continue;
        seen.add(b);
        stack.push(b);
      }
    }
    return seen;
  }

  /** The nodes the flow reaches from its first action (the end node included when reached). */
  reachable(): Set<number> {
    return this.actions.length === 0 ? new Set() : this.reachableFrom(0);
  }

  /**
   * Strongly connected components of the action nodes (Tarjan's algorithm, its recursion kept on an
   * explicit stack so that a list of any length is walked), each a list of nodes in list order.
   */
  components(): readonly (readonly number[])[] {
    if (this.#components !== undefined) return this.#components;
    const count = this.actions.length;
    const index = new Int32Array(count).fill(-1);
    const low = new Int32Array(count);
    const onStack = new Uint8Array(count);
    /** For each node being visited, how many of its successors it has looked at. */
    const looked = new Int32Array(count);
    const stack: number[] = [];
    const visiting: number[] = [];
    const out: number[][] = [];
    let counter = 0;
    const enter = (node: number): void => {
      index[node] = counter;
      low[node] = counter;
      counter += 1;
      stack.push(node);
      onStack[node] = 1;
      visiting.push(node);
    };
    for (let root = 0; root < count; root++) {
      if (index[root] !== -1) continue;
      enter(root);
      for (let node = visiting.at(-1); node !== undefined; node = visiting.at(-1)) {
        const next = this.successors[node] ?? [];
        const at = looked[node] ?? 0;
        this.work.add(1);
        if (at < next.length) {
          looked[node] = at + 1;
          const succ = next[at] ?? this.end;
          if (succ === this.end) continue;
          if (index[succ] === -1) enter(succ);
          else if (onStack[succ] === 1) low[node] = Math.min(low[node] ?? 0, index[succ] ?? 0);
          continue;
        }
        visiting.pop();
        const parent = visiting.at(-1);
        if (parent !== undefined) low[parent] = Math.min(low[parent] ?? 0, low[node] ?? 0);
        if (low[node] !== index[node]) continue;
        const component: number[] = [];
        for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
          onStack[member] = 0;
          component.push(member);
          if (member === node) break;
        }
        out.push(component.sort((a, b) => a - b));
      }
    }
    this.#components = out;
    return out;
  }
}
