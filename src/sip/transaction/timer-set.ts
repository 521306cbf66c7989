import type { Clock, TimerHandle } from '../../shared/index.ts';

/**
 * The named timers of one transaction (RFC 3261 Table 4 letters) on an injected clock.
 * Starting a running timer restarts it; `stopAll()` leaves nothing pending.
 */
export class TimerSet<Name extends string> {
  readonly #clock: Clock;
  readonly #handles = new Map<Name, TimerHandle>();
  #stopped = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Run `fn` once after `ms` unless stopped first. */
  start(name: Name, ms: number, fn: () => void): void {
    if (this.#stopped) return;
    this.stop(name);
    const handle = this.#clock.setTimeout(() => {
      this.#handles.delete(name);
      if (!this.#stopped) fn();
    }, ms);
    this.#handles.set(name, handle);
  }

  /** Cancel one timer if it is running. */
  stop(name: Name): void {
    const handle = this.#handles.get(name);
    if (handle === undefined) return;
    this.#clock.clearTimeout(handle);
    this.#handles.delete(name);
  }

  /** True while `name` is pending. */
  running(name: Name): boolean {
    return this.#handles.has(name);
  }

  /** Cancel every timer; later `start()` calls are ignored. */
  stopAll(): void {
    for (const handle of this.#handles.values()) this.#clock.clearTimeout(handle);
    this.#handles.clear();
    this.#stopped = true;
  }
}
