import { AppError, NIL_UUID } from '../shared/index.ts';
import type { FlowAction } from './flow-action.ts';

/** Most lists `fetch`/`fetch_flow` may push during one activeflow. */
export const MAX_PUSHED_LISTS = 100;

interface Frame {
  readonly actions: readonly FlowAction[];
  index: number;
}

/**
 * Where an activeflow is: a stack of action lists (the flow, then lists pushed by `fetch` and
 * `fetch_flow`), each with the index of its next action. A pushed list, once run, returns to the
 * action after the one that pushed it.
 */
export class FlowCursor {
  readonly #frames: Frame[];
  #pushes = 0;

  constructor(actions: readonly FlowAction[]) {
    this.#frames = [{ actions, index: 0 }];
  }

  /** Lists pushed so far. */
  get pushes(): number {
    return this.#pushes;
  }

  /** The action to run now, popping lists that ran out; undefined past the flow's last action. */
  current(): FlowAction | undefined {
    for (;;) {
      const top = this.#frames.at(-1);
      if (top === undefined) return undefined;
      const action = top.actions[top.index];
      if (action !== undefined) return action;
      if (this.#frames.length === 1) return undefined;
      this.#frames.pop();
    }
  }

  /** Moves past `action` (the current one): to its `next_id` when set, else to the next element. */
  advance(action: FlowAction): void {
    if (action.next_id !== NIL_UUID && action.next_id !== '') {
      this.jump(action.next_id);
      return;
    }
    const top = this.#frames.at(-1);
    if (top !== undefined) top.index += 1;
  }

  /** Moves to the next element of the innermost list, whatever `next_id` says (after a broken jump). */
  skip(): void {
    const top = this.#frames.at(-1);
    if (top !== undefined) top.index += 1;
  }

  /** Moves to the action with `id`, looking in the innermost list first, then outwards (dropping inner lists). */
  jump(id: string): void {
    for (let depth = this.#frames.length - 1; depth >= 0; depth--) {
      const frame = this.#frames[depth];
      const index = frame?.actions.findIndex((a) => a.id === id) ?? -1;
      if (frame === undefined || index < 0) continue;
      this.#frames.length = depth + 1;
      frame.index = index;
      return;
    }
    throw new AppError('ACTION_TARGET_NOT_FOUND', `no action with id ${id} in this activeflow`);
  }

  /** Runs `actions` next: the current action is passed first, so the list returns to what follows it. */
  push(after: FlowAction, actions: readonly FlowAction[]): void {
    if (this.#pushes >= MAX_PUSHED_LISTS) {
      throw new AppError(
        'TOO_MANY_PUSHED_LISTS',
        `at most ${MAX_PUSHED_LISTS} action lists may be pushed in one activeflow`,
      );
    }
    this.advance(after);
    this.#pushes += 1;
    if (actions.length > 0) this.#frames.push({ actions, index: 0 });
  }
}
