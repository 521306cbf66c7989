type AnyListener = (...args: unknown[]) => void;

/** Told of an error a listener threw from `safeEmit`, with the event it was listening to. */
export type ListenerErrorHandler = (err: unknown, event: PropertyKey) => void;

/** How a TypedEmitter reports listeners that throw from `safeEmit`. */
export interface TypedEmitterOptions {
  /** Where a listener's error goes (default: `console.error`); it must not throw itself. */
  onListenerError?: ListenerErrorHandler;
}

const reportToConsole: ListenerErrorHandler = (err, event) => console.error(`listener of ${String(event)} threw`, err);

/**
 * A minimal synchronous event emitter typed by an event map. `emit` lets a listener's error reach
 * the emitting code (for listeners of the same module, where a throw is a bug to surface);
 * `safeEmit` is for listeners of other layers: every listener runs, and one that throws is
 * reported through the configured handler and never fails the emitter's caller.
 */
export class TypedEmitter<Events extends Record<string, unknown[]>> {
  #listeners = new Map<keyof Events, Set<AnyListener>>();
  readonly #onListenerError: ListenerErrorHandler;

  constructor(options: TypedEmitterOptions = {}) {
    this.#onListenerError = options.onListenerError ?? reportToConsole;
  }

  /** Subscribe; returns a function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as unknown as AnyListener);
    return () => this.off(event, listener);
  }

  /** Unsubscribe a listener added with `on`. */
  off<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): void {
    this.#listeners.get(event)?.delete(listener as unknown as AnyListener);
  }

  /** How many listeners `event` has now. */
  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Call every listener of `event` with `args`; a listener's error propagates to the caller. */
  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const l of [...set]) l(...args);
  }

  /** Call every listener of `event` with `args`; one that throws is reported and the others still run. */
  safeEmit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const l of [...set]) {
      try {
        l(...args);
      } catch (err) {
        this.#onListenerError(err, event);
      }
    }
  }
}
