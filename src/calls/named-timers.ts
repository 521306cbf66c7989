// NamedTimers: at most one pending timer per name on the injected clock (a LiveCall's dial,
// answer and max-duration timers, live-call.ts; docs/calls.md "Timers").
import type { Clock, TimerHandle } from '../shared/index.ts';

/** Pending timers by name; starting a name again replaces its pending timer. */
export class NamedTimers<Name extends string> {
  readonly #time: { readonly clock: Clock };
  readonly #handles = new Map<Name, TimerHandle>();

  /** `time.clock` is read at each start and clear. */
  constructor(time: { readonly clock: Clock }) {
    this.#time = time;
  }

  /** Starts (or restarts) timer `name`; `fire` runs once it expires, after the timer is forgotten. */
  start(name: Name, ms: number, fire: () => void): void {
    this.clear(name);
    const handle = this.#time.clock.setTimeout(() => {
      this.#handles.delete(name);
      fire();
    }, ms);
    this.#handles.set(name, handle);
  }

  /** Cancels timer `name` if it is pending. */
  clear(name: Name): void {
    this.#time.clock.clearTimeout(this.#handles.get(name));
    this.#handles.delete(name);
  }

  /** Cancels every pending timer. */
  clearAll(): void {
    for (const name of [...this.#handles.keys()]) this.clear(name);
  }
}
