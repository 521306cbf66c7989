import { TypedEmitter } from '../../shared/index.ts';

/**
 * A TypedEmitter that knows whether an event has listeners, so that a request nobody
 * subscribed to can get a default answer instead of waiting forever.
 */
export class ListenedEmitter<Events extends Record<string, unknown[]>> extends TypedEmitter<Events> {
  readonly #listeners = new Map<keyof Events, Set<unknown>>();

  override on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    super.on(event, listener);
    return () => this.off(event, listener);
  }

  override off<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): void {
    this.#listeners.get(event)?.delete(listener);
    super.off(event, listener);
  }

  /** True when at least one listener is subscribed to `event`. */
  hasListeners(event: keyof Events): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }
}
