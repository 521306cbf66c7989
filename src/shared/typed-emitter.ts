type AnyListener = (...args: unknown[]) => void;

/** A minimal synchronous event emitter typed by an event map. */
export class TypedEmitter<Events extends Record<string, unknown[]>> {
  #listeners = new Map<keyof Events, Set<AnyListener>>();

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

  /** Call every listener of `event` with `args`. */
  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const l of [...set]) l(...args);
  }
}
