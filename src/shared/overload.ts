import type { LoopLoad } from './loop-samplers.ts';
import { TypedEmitter } from './typed-emitter.ts';

export { LagSampler, LoopLoad } from './loop-samplers.ts';
export type { LoopTimes } from './loop-samplers.ts';

/**
 * Why new work was refused: too many set-ups at once, an event loop running late, one too busy for
 * all the calls arriving, or a node draining before it exits (docs/security.md "Overload").
 */
export type OverloadReason = 'setups' | 'lag' | 'busy' | 'draining';

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
  /** The event loop's utilisation, window by window (a {@link LoopLoad}); without it the share check is off. */
  load?: Pick<LoopLoad, 'on' | 'current' | 'mark' | 'endWindow'>;
  /** Utilisation (0–1) of a window above which the share of new set-ups admitted is cut; 0 turns the check off. */
  maxUtilisation?: number;
  /** New set-ups offered in a window below which a busy loop cuts nothing: few calls are no flood (default 10). */
  minArrivals?: number;
  /** Set-ups counted elsewhere (outgoing calls dialling or ringing); must be cheap. */
  otherSetups?: () => number;
  /** The Retry-After of a refusal (default 2 s). */
  retryAfterSec?: number;
}

/** Events of an {@link OverloadGuard}. */
export type OverloadGuardEvents = {
  /** {@link OverloadGuard.pressure} changed; told at the end of a {@link LoopLoad} window at most. */
  pressure: [underPressure: boolean];
};

// The share of new set-ups admitted: cut to 70 % per busy window, back up by 0.1 per calm one (AIMD),
// never below 5 % so some calls keep going through and show when the load is gone.
const CUT = 0.7;
const GROW = 0.1;
const MIN_SHARE = 0.05;
// Every `minArrivals` arrivals, the window's latest span, once at least this old, is judged: over the
// bound it ends the window at once, else a new span starts. At the onset of a flood the cut comes
// after ~20 ms, not after a whole window of calls admitted at full rate.
const EARLY_MS = 20;
// Pressure starts this far below the utilisation that cuts the share, or at this part of maxSetups.
const PRESSURE_MARGIN = 0.1;
const PRESSURE_SETUPS = 0.8;

/**
 * Admission control for new calls (docs/security.md "Overload"): a set-up is refused before any
 * store or flow work when the set-ups in progress reach `maxSetups`, when the event loop lags more
 * than `lagThresholdMs`, or — while the loop is busier than `maxUtilisation` with calls arriving —
 * for all but a share of the new ones (cut multiplicatively per busy window, grown back additively,
 * taken evenly by a credit count); the caller answers 503 with Retry-After (RFC 3261 §21.5.4, the
 * loss-based idea of RFC 7339 as a local admitted share). Deciding costs a few comparisons, and
 * every `minArrivals`-th arrival one read of the loop's utilisation so far.
 * {@link pressure} tells other work (webhook delivery) to give way to call set-ups.
 */
export class OverloadGuard extends TypedEmitter<OverloadGuardEvents> {
  readonly #o: OverloadGuardOptions;
  readonly #refused: Record<OverloadReason, number> = { setups: 0, lag: 0, busy: 0, draining: 0 };
  #draining = false;
  #setups = 0;
  #share = 1;
  #credit = 0;
  #arrivals = 0;
  #utilisation = 0;
  #pressure = false;

  constructor(options: OverloadGuardOptions) {
    super();
    this.#o = options;
    options.load?.on('window', (utilisation) => this.#onWindow(utilisation));
  }

  /** Set-ups admitted here and not yet released. */
  get setups(): number {
    return this.#setups;
  }

  /** The share (0.05–1) of new set-ups admitted now; 1 unless the loop is too busy for the calls arriving. */
  get share(): number {
    return this.#share;
  }

  /**
   * True while call set-ups need the event loop (docs/security.md "Overload"): the last window was
   * within 0.1 of `maxUtilisation` with calls arriving, the share is cut, or set-ups are at 80 % of
   * `maxSetups`, as of the end of the last {@link LoopLoad} window (without one it stays false). Work
   * that can wait (webhook delivery) holds back while it is true; the `pressure` event tells each
   * change. Reading it costs nothing.
   */
  pressure(): boolean {
    return this.#pressure;
  }

  /** True once {@link startDraining} was called: every new set-up is refused from then on. */
  get draining(): boolean {
    return this.#draining;
  }

  /**
   * The node is shutting down (docs/security.md "Overload"): from now on every new set-up is refused
   * with reason `draining`, whatever the load; set-ups already admitted go on. There is no way back.
   */
  startDraining(): void {
    this.#draining = true;
  }

  /** The refusal new work would get now, without counting it or taking its share; undefined when there is room. */
  check(): OverloadRefusal | undefined {
    return this.#decide(false);
  }

  /** A refusal counted in the metrics, or undefined when there is room (the new work then takes its share). */
  refuse(): OverloadRefusal | undefined {
    const refusal = this.#decide(true);
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

  /** The refusal counters, the set-ups in progress and the admitted share as Prometheus text. */
  metricsText(): string {
    const r = this.#refused;
    return [
      '# HELP callbin_calls_refused_overload_total New calls refused 503 because callbin was over capacity or draining.',
      '# TYPE callbin_calls_refused_overload_total counter',
      ...(['setups', 'lag', 'busy', 'draining'] as const).map(
        (k) => `callbin_calls_refused_overload_total{reason="${k}"} ${r[k]}`,
      ),
      '# HELP callbin_call_setups Incoming call set-ups in progress (INVITE received, no final answer yet).',
      '# TYPE callbin_call_setups gauge',
      `callbin_call_setups ${this.#setups}`,
      '# HELP callbin_call_admission_share Share of new calls admitted while the event loop is too busy (1: all).',
      '# TYPE callbin_call_admission_share gauge',
      `callbin_call_admission_share ${this.#share.toFixed(3)}`,
      '# HELP callbin_event_loop_utilisation Event-loop utilisation of the last window (0-1).',
      '# TYPE callbin_event_loop_utilisation gauge',
      `callbin_event_loop_utilisation ${this.#utilisation.toFixed(3)}`,
      '# HELP callbin_call_pressure 1 while call set-ups need the event loop and deferrable work should wait.',
      '# TYPE callbin_call_pressure gauge',
      `callbin_call_pressure ${this.#pressure ? 1 : 0}`,
      '# HELP callbin_node_draining 1 while this node drains before it exits: new calls are refused.',
      '# TYPE callbin_node_draining gauge',
      `callbin_node_draining ${this.#draining ? 1 : 0}`,
      '',
    ].join('\n');
  }

  #decide(take: boolean): OverloadRefusal | undefined {
    const o = this.#o;
    const retryAfterSec = o.retryAfterSec ?? 2;
    if (this.#draining) return { reason: 'draining', retryAfterSec };
    if (take && ++this.#arrivals % (o.minArrivals ?? 10) === 0) this.#endBusyWindowEarly();
    if (this.#setups + (o.otherSetups?.() ?? 0) >= o.maxSetups) return { reason: 'setups', retryAfterSec };
    if (o.lagThresholdMs > 0 && o.lagMs && o.lagMs() > o.lagThresholdMs) return { reason: 'lag', retryAfterSec };
    if (this.#share >= 1) return undefined;
    // Each arrival earns `share` of an admission: with a share of 0.3, three in ten are admitted, evenly spread.
    const credit = round6(this.#credit + this.#share);
    if (take) this.#credit = credit >= 1 ? round6(credit - 1) : credit;
    return credit >= 1 ? undefined : { reason: 'busy', retryAfterSec };
  }

  #endBusyWindowEarly(): void {
    const max = this.#o.maxUtilisation ?? 0;
    const load = this.#o.load;
    if (max <= 0 || !load) return;
    const span = load.current();
    if (span.elapsedMs < EARLY_MS) return;
    if (span.utilisation > max) load.endWindow();
    else load.mark();
  }

  #onWindow(utilisation: number): void {
    const max = this.#o.maxUtilisation ?? 0;
    const flood = this.#arrivals >= (this.#o.minArrivals ?? 10);
    this.#arrivals = 0;
    this.#utilisation = utilisation;
    // A busy window first only raises the pressure, so that work which can wait (webhook delivery)
    // gives way; the share is cut when the loop is still too busy with that work held back.
    // Rounded to a millionth, so that growing back by tenths reaches 1 exactly.
    const heldBack = this.#pressure;
    if (max > 0 && flood && utilisation > max && heldBack) this.#share = Math.max(MIN_SHARE, round6(this.#share * CUT));
    else if (this.#share < 1) this.#share = Math.min(1, round6(this.#share + GROW));
    if (this.#share >= 1) this.#credit = 0;
    const setups = this.#setups + (this.#o.otherSetups?.() ?? 0);
    const pressure =
      this.#share < 1 ||
      (max > 0 && flood && utilisation > max - PRESSURE_MARGIN) ||
      setups >= this.#o.maxSetups * PRESSURE_SETUPS;
    if (pressure === this.#pressure) return;
    this.#pressure = pressure;
    this.safeEmit('pressure', pressure);
  }
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** True for a refusal returned by {@link OverloadGuard.admit}. */
export function isRefusal(result: Admission | OverloadRefusal): result is OverloadRefusal {
  return 'reason' in result;
}
