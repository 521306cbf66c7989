import type { Logger } from '../../shared/index.ts';

/** A transition table: for each state, the states it may move to. */
export type TransitionTable<S extends string> = Record<S, readonly S[]>;

/**
 * The current state of one transaction machine, moved only along the edges of its table.
 * A refused edge is logged with its names and leaves the state unchanged.
 */
export class StateTable<S extends string> {
  readonly #name: string;
  readonly #table: TransitionTable<S>;
  readonly #logger: Logger;
  #state: S;

  constructor(name: string, table: TransitionTable<S>, initial: S, logger: Logger) {
    this.#name = name;
    this.#table = table;
    this.#state = initial;
    this.#logger = logger;
  }

  /** The current state. */
  get state(): S {
    return this.#state;
  }

  /** Move to `to` if the table allows it; returns whether it moved. */
  move(to: S): boolean {
    const from = this.#state;
    if (!this.#table[from].includes(to)) {
      this.#logger.warn({ from, to }, `${this.#name}: ${from} -> ${to} refused`);
      return false;
    }
    this.#state = to;
    this.#logger.debug({ from, to }, `${this.#name}: ${from} -> ${to}`);
    return true;
  }
}
