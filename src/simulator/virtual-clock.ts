import type { Clock, TimerHandle } from '../shared/index.ts';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * The simulation's time: it stands still while the flow works and jumps straight to the next timer
 * when nothing else is left to do (docs/testing-your-flows.md "Simulator"), so a ten-minute `sleep`
 * costs one jump. Timers due at the same time fire in the order they were set.
 */
export class VirtualClock implements Clock {
  readonly startMs: number;
  #now: number;
  #timers: Timer[] = [];
  #nextId = 1;

  constructor(startMs: number) {
    this.startMs = startMs;
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Milliseconds since the start. */
  get elapsed(): number {
    return this.#now - this.startMs;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** When the next timer is due, or undefined when none is set. */
  nextAt(): number | undefined {
    return this.#next()?.at;
  }

  /** Moves to the next timer and fires it; false when no timer is set. */
  fireNext(): boolean {
    const next = this.#next();
    if (next === undefined) return false;
    this.#timers = this.#timers.filter((t) => t !== next);
    this.#now = Math.max(this.#now, next.at);
    next.fn();
    return true;
  }

  #next(): Timer | undefined {
    let next: Timer | undefined;
    for (const t of this.#timers) if (!next || t.at < next.at || (t.at === next.at && t.id < next.id)) next = t;
    return next;
  }
}
