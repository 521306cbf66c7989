import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from './clock.ts';
import { TypedEmitter } from './typed-emitter.ts';

// The event-loop signals of the admission control (docs/security.md "Overload", shared/overload.ts).

/** Cumulative time (ms) the event loop spent working and waiting; `performance.eventLoopUtilization()` fits. */
export type LoopTimes = () => { active: number; idle: number };

/** A point in time on both the clock and the loop's cumulative times. */
interface Mark {
  at: number;
  active: number;
  idle: number;
}

/**
 * Event-loop utilisation window by window: every `intervalMs` (default 100) the share of the time
 * since the last window that the loop spent working rather than waiting for I/O. Unlike lag it
 * does not rise when other processes take the CPU from an idle callbin: an idle loop waits in the
 * kernel however late it is woken. Emits `window` with each value; stop it with {@link stop}.
 * A reader can also look at the latest span of the window in progress ({@link current}, from its
 * start or the last {@link mark}) and end the window early with that span's value ({@link endWindow}),
 * so a loop that just became busy is not diluted by the quiet start of its window.
 */
export class LoopLoad extends TypedEmitter<{ window: [utilisation: number] }> {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #times: LoopTimes;
  #window: Mark = { at: 0, active: 0, idle: 0 };
  #span: Mark = { at: 0, active: 0, idle: 0 };
  #utilisation = 0;
  #timer: TimerHandle | undefined;

  constructor(options: { clock: Clock; intervalMs?: number; times?: LoopTimes }) {
    super();
    this.#clock = options.clock;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#times = options.times ?? (() => performance.eventLoopUtilization());
  }

  /** Start sampling; idempotent. The timer does not keep the process alive. */
  start(): this {
    if (this.#timer === undefined) this.#restart(this.#now());
    return this;
  }

  stop(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The utilisation (0–1) of the last window. */
  utilisation(): number {
    return this.#utilisation;
  }

  /** The utilisation of the latest span of the window in progress, and the span's age in ms. */
  current(): { utilisation: number; elapsedMs: number } {
    const now = this.#now();
    return { utilisation: between(this.#span, now), elapsedMs: now.at - this.#span.at };
  }

  /** Start a new span inside the window in progress. */
  mark(): void {
    this.#span = this.#now();
  }

  /** End the window in progress now, telling the latest span's utilisation, and start the next. */
  endWindow(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#end(this.#span);
  }

  #now(): Mark {
    const { active, idle } = this.#times();
    return { at: this.#clock.now(), active, idle };
  }

  #restart(now: Mark): void {
    this.#window = now;
    this.#span = now;
    const handle = this.#clock.setTimeout(() => this.#end(this.#window), this.#intervalMs);
    (handle as { unref?: () => void }).unref?.();
    this.#timer = handle;
  }

  #end(from: Mark): void {
    const now = this.#now();
    this.#utilisation = between(from, now);
    this.#restart(now);
    this.safeEmit('window', this.#utilisation);
  }
}

function between(from: Mark, to: Mark): number {
  const busy = to.active - from.active;
  const total = busy + to.idle - from.idle;
  return total > 0 ? Math.min(1, Math.max(0, busy / total)) : 0;
}

/**
 * Event-loop lag measured on a Clock: a timer due every `intervalMs` notes how late it fired, and
 * `lagMs()` is the smallest lateness of the last `ticks` firings. A loop late on every tick is
 * saturated; one long stall (a GC, a checkpoint, start-up work) is not, as the ticks after it are
 * on time again. Stop it with {@link stop}.
 */
export class LagSampler {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #late: number[];
  #next = 0;
  #due = 0;
  #lag = 0;
  #timer: TimerHandle | undefined;

  constructor(options: { clock: Clock; intervalMs?: number; ticks?: number }) {
    this.#clock = options.clock;
    this.#intervalMs = options.intervalMs ?? 20;
    this.#late = new Array<number>(Math.max(1, options.ticks ?? 5)).fill(0);
  }

  /** Start sampling; idempotent. The timer does not keep the process alive. */
  start(): this {
    if (this.#timer === undefined) this.#schedule();
    return this;
  }

  stop(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The lag in ms as described on the class (0 until that many ticks were late). */
  lagMs(): number {
    return this.#lag;
  }

  #schedule(): void {
    this.#due = this.#clock.now() + this.#intervalMs;
    const handle = this.#clock.setTimeout(() => this.#tick(), this.#intervalMs);
    (handle as { unref?: () => void }).unref?.();
    this.#timer = handle;
  }

  #tick(): void {
    this.#late[this.#next] = Math.max(0, this.#clock.now() - this.#due);
    this.#next = (this.#next + 1) % this.#late.length;
    this.#lag = Math.min(...this.#late);
    this.#schedule();
  }
}
