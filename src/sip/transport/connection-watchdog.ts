import type { Clock, TimerHandle } from '../../shared/index.ts';

/** Time limits of one stream connection. */
export interface WatchdogOptions {
  clock: Clock;
  /** Close after this long without a complete message or keep-alive either way. */
  idleTimeoutMs: number;
  /** Close when a message is not complete this long after its first byte. */
  messageDeadlineMs: number;
}

/** Why a watchdog closed its connection. */
export type WatchdogExpiry = 'idle' | 'deadline';

/**
 * The idle timeout and the message deadline of a stream connection on one lazy timer. Only whole
 * messages and RFC 5626 §3.5.1 keep-alives count as activity, so a peer trickling single bytes
 * (slowloris) neither keeps the connection alive nor holds a half message past the deadline.
 */
export class ConnectionWatchdog {
  readonly #o: WatchdogOptions;
  readonly #expire: (why: WatchdogExpiry) => void;
  #lastCompleteMs: number;
  #messageStartMs: number | undefined;
  #timer: TimerHandle | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopped = false;

  constructor(options: WatchdogOptions, expire: (why: WatchdogExpiry) => void) {
    this.#o = options;
    this.#expire = expire;
    this.#lastCompleteMs = options.clock.now();
    this.#arm();
  }

  /** A whole message or keep-alive went either way: the idle timeout restarts, no message is pending. */
  completed(): void {
    this.#lastCompleteMs = this.#o.clock.now();
    this.#messageStartMs = undefined;
  }

  /** Bytes of an unfinished message are buffered; the deadline runs from the first of them. */
  started(): void {
    if (this.#messageStartMs !== undefined || this.#stopped) return;
    this.#messageStartMs = this.#o.clock.now();
    this.#arm();
  }

  /** The connection closed: cancel the timer. */
  stop(): void {
    this.#stopped = true;
    this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #due(): { at: number; why: WatchdogExpiry } {
    const idleAt = this.#lastCompleteMs + this.#o.idleTimeoutMs;
    const deadlineAt =
      this.#messageStartMs === undefined ? Number.POSITIVE_INFINITY : this.#messageStartMs + this.#o.messageDeadlineMs;
    return deadlineAt <= idleAt ? { at: deadlineAt, why: 'deadline' } : { at: idleAt, why: 'idle' };
  }

  // Activity only moves the due time later, so the timer is re-armed when it fires early, and
  // moved only when a started message brings the due time forward.
  #arm(): void {
    const { at } = this.#due();
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    this.#o.clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#o.clock.setTimeout(() => this.#fire(), Math.max(0, at - this.#o.clock.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#stopped) return;
    const due = this.#due();
    if (this.#o.clock.now() < due.at) return this.#arm();
    this.#stopped = true;
    this.#expire(due.why);
  }
}
