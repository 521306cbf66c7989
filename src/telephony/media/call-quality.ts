import type { CallLegQos } from '../../calls/index.ts';
import type { LegQuality } from '../../media/index.ts';
import { type Clock, type Logger, type TimerHandle, silentLogger } from '../../shared/index.ts';
import { noTimeline, type TimelineRecorder } from '../../timeline/index.ts';

/** A registered leg as the sampler sees it. */
export interface QualityLeg {
  legId: string;
  callId: string | undefined;
  quality(): LegQuality;
}

/** Options of {@link CallQuality}. */
export interface CallQualityOptions {
  clock: Clock;
  /** Where the 5 s samples go (docs/timeline.md "Media quality"); default none. */
  timeline?: TimelineRecorder;
  /** The customer of a call, for its timeline entries. */
  customerOf?: (callId: string) => Promise<string | undefined>;
  /** Between two samples of every leg; default 5000 ms. */
  intervalMs?: number;
  logger?: Logger;
}

/** Calls whose released legs' figures wait for their hangup; the oldest are forgotten beyond it. */
const MAX_WAITING_CALLS = 4096;

/** The call's `qos` entry of one leg. */
export function legQos(legId: string, q: LegQuality): CallLegQos {
  return { leg_id: legId, ...q };
}

/** One line for people: `PCMU ↔ 250/250 packets, 0% lost, jitter 0.4 ms, rtt 0.2 ms, MOS 4.41`. */
export function qualitySummary(q: LegQuality): string {
  const rtt = q.rtt_ms === null ? '' : `, rtt ${q.rtt_ms} ms`;
  const mos = q.mos === null ? 'no media received' : `MOS ${q.mos}`;
  return `${q.codec} sent ${q.packets_sent} / received ${q.packets_received}, ${q.loss_pct}% lost, jitter ${q.jitter_ms} ms${rtt}, ${mos}`;
}

/**
 * The media quality of calls (docs/calls.md "Media quality", docs/timeline.md "Media quality"): the
 * figures of a leg released before its call's hangup are kept until the hangup takes them, and while
 * legs are up a `quality` timeline entry per leg is recorded every interval.
 */
export class CallQuality {
  readonly #clock: Clock;
  readonly #timeline: TimelineRecorder;
  readonly #customerOf: CallQualityOptions['customerOf'];
  readonly #intervalMs: number;
  readonly #logger: Logger;
  readonly #released = new Map<string, CallLegQos[]>();
  readonly #customers = new Map<string, string>();
  #timer: TimerHandle | undefined;
  #legs: (() => Iterable<QualityLeg>) | undefined;
  #sampling = false;

  constructor(options: CallQualityOptions) {
    this.#clock = options.clock;
    this.#timeline = options.timeline ?? noTimeline;
    this.#customerOf = options.customerOf;
    this.#intervalMs = options.intervalMs ?? 5000;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Starts sampling `legs` every interval (only when a timeline records). */
  start(legs: () => Iterable<QualityLeg>): void {
    this.#legs = legs;
    if (this.#timeline.enabled && this.#customerOf) this.#schedule();
  }

  /** A leg of call `callId` is being released: its final figures wait for the call's hangup. */
  released(leg: QualityLeg): void {
    if (leg.callId === undefined) return;
    const list = this.#released.get(leg.callId);
    const entry = legQos(leg.legId, leg.quality());
    if (list) list.push(entry);
    else {
      this.#released.set(leg.callId, [entry]);
      if (this.#released.size > MAX_WAITING_CALLS) {
        const oldest = this.#released.keys().next();
        if (!oldest.done) this.#released.delete(oldest.value);
      }
    }
  }

  /** The call's legs at its hangup: those still up and those released before; forgets the call. */
  take(callId: string, live: Iterable<QualityLeg>): CallLegQos[] {
    const out = this.#released.get(callId) ?? [];
    this.#released.delete(callId);
    this.#customers.delete(callId);
    for (const leg of live) if (leg.callId === callId) out.push(legQos(leg.legId, leg.quality()));
    return out;
  }

  /** Stops sampling. */
  close(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#legs = undefined;
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#legs) return;
      // A sample that is still resolving customers is not started twice.
      if (!this.#sampling) void this.#sample();
      this.#schedule();
    }, this.#intervalMs);
  }

  async #sample(): Promise<void> {
    const legs = this.#legs;
    if (!legs) return;
    this.#sampling = true;
    try {
      const atMs = this.#clock.now();
      for (const leg of [...legs()]) {
        const callId = leg.callId;
        if (callId === undefined) continue;
        const q = leg.quality();
        const customerId = await this.#customer(callId);
        if (customerId === undefined) continue;
        this.#timeline.record({
          customer_id: customerId,
          call_id: callId,
          kind: 'quality',
          summary: qualitySummary(q),
          data: { ...legQos(leg.legId, q) },
          atMs,
        });
      }
    } catch (err) {
      this.#logger.warn({ err }, 'media quality sample failed');
    } finally {
      this.#sampling = false;
    }
  }

  async #customer(callId: string): Promise<string | undefined> {
    const known = this.#customers.get(callId);
    if (known !== undefined) return known;
    const found = await this.#customerOf?.(callId);
    if (found === undefined) return undefined;
    this.#customers.set(callId, found);
    if (this.#customers.size > MAX_WAITING_CALLS) {
      const oldest = this.#customers.keys().next();
      if (!oldest.done) this.#customers.delete(oldest.value);
    }
    return found;
  }
}
