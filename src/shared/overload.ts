import type { Clock, TimerHandle } from './clock.ts';

/** Why new work was refused: too many set-ups at once, or an event loop running late. */
export type OverloadReason = 'setups' | 'lag';

/** A refusal: answer 503 with `Retry-After: retryAfterSec` (RFC 3261 §21.5.4). */
export interface OverloadRefusal {
  readonly reason: OverloadReason;
  readonly retryAfterSec: number;
}

/** A set-up admitted by {@link OverloadGuard.admit}; release it once, at its final answer. */
export interface Admission {
  release(): void;
}

/** Options of an {@link OverloadGuard}. */
export interface OverloadGuardOptions {
  /** Set-ups (admitted here plus `otherSetups`) at which new ones are refused. */
  maxSetups: number;
  /** Event-loop lag (ms) above which new set-ups are refused; 0 turns the check off. */
  lagThresholdMs: number;
  /** The current event-loop lag in ms (a {@link LagSampler}); without it lag is not checked. */
  lagMs?: () => number;
  /** Set-ups counted elsewhere (outgoing calls dialling or ringing); must be cheap. */
  otherSetups?: () => number;
  /** The Retry-After of a refusal (default 2 s). */
  retryAfterSec?: number;
}

/**
 * Admission control for new calls (docs/security.md "Overload"): a set-up is refused before any
 * store or flow work when the set-ups in progress reach `maxSetups` or the event loop lags more
 * than `lagThresholdMs`; the caller answers 503 with Retry-After (RFC 3261 §21.5.4, the
 * loss-based idea of RFC 7339 reduced to one local threshold). Reading both signals costs a few
 * comparisons.
 */
export class OverloadGuard {
  readonly #o: OverloadGuardOptions;
  readonly #refused: Record<OverloadReason, number> = { setups: 0, lag: 0 };
  #setups = 0;

  constructor(options: OverloadGuardOptions) {
    this.#o = options;
  }

  /** Set-ups admitted here and not yet released. */
  get setups(): number {
    return this.#setups;
  }

  /** The refusal new work would get now, without counting it; undefined when there is room. */
  check(): OverloadRefusal | undefined {
    const o = this.#o;
    const retryAfterSec = o.retryAfterSec ?? 2;
    if (this.#setups + (o.otherSetups?.() ?? 0) >= o.maxSetups) return { reason: 'setups', retryAfterSec };
    if (o.lagThresholdMs > 0 && o.lagMs && o.lagMs() > o.lagThresholdMs) return { reason: 'lag', retryAfterSec };
    return undefined;
  }

  /** A refusal counted in the metrics, or undefined when there is room. */
  refuse(): OverloadRefusal | undefined {
    const refusal = this.check();
    if (refusal) this.#refused[refusal.reason]++;
    return refusal;
  }

  /** Admit one set-up (counted until released), or the counted refusal. */
  admit(): Admission | OverloadRefusal {
    const refusal = this.refuse();
    if (refusal) return refusal;
    this.#setups++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#setups--;
      },
    };
  }

  /** Refusals so far, by reason. */
  refused(): Readonly<Record<OverloadReason, number>> {
    return { ...this.#refused };
  }

  /** The refusal counters and the set-ups in progress as Prometheus text. */
  metricsText(): string {
    return [
      '# HELP callbin_calls_refused_overload_total New calls refused 503 because callbin was over capacity.',
      '# TYPE callbin_calls_refused_overload_total counter',
      `callbin_calls_refused_overload_total{reason="setups"} ${this.#refused.setups}`,
      `callbin_calls_refused_overload_total{reason="lag"} ${this.#refused.lag}`,
      '# HELP callbin_call_setups Incoming call set-ups in progress (INVITE received, no final answer yet).',
      '# TYPE callbin_call_setups gauge',
      `callbin_call_setups ${this.#setups}`,
      '',
    ].join('\n');
  }
}

/** True for a refusal returned by {@link OverloadGuard.admit}. */
export function isRefusal(result: Admission | OverloadRefusal): result is OverloadRefusal {
  return 'reason' in result;
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
