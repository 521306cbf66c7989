import type { LegQuality } from './leg-quality.ts';

/** One Prometheus histogram kept as plain counters (cumulative buckets are summed at scrape time). */
class Histogram {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {
    this.#counts = new Array(bounds.length).fill(0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    this.#sum += value;
    this.#count++;
    const i = this.bounds.findIndex((b) => value <= b);
    if (i >= 0) this.#counts[i] = (this.#counts[i] as number) + 1;
  }

  text(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    let cumulative = 0;
    this.bounds.forEach((b, i) => {
      cumulative += this.#counts[i] as number;
      lines.push(`${this.name}_bucket{le="${b}"} ${cumulative}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`);
    lines.push(`${this.name}_sum ${Math.round(this.#sum * 1000) / 1000}`, `${this.name}_count ${this.#count}`);
    return lines;
  }
}

/**
 * The media-quality histograms of `/metrics` (docs/timeline.md "Media quality"): jitter, loss and
 * MOS of every leg at its call's hangup.
 */
export class QualityMetrics {
  readonly #jitter = new Histogram(
    'callbin_call_leg_jitter_ms',
    'Interarrival jitter (RFC 3550 A.8) of call legs at hangup, in ms.',
    [1, 2, 5, 10, 20, 30, 50, 100, 200],
  );
  readonly #loss = new Histogram(
    'callbin_call_leg_loss_percent',
    'Packet loss of call legs at hangup, in percent of the packets expected.',
    [0, 0.5, 1, 2, 3, 5, 10, 20, 50],
  );
  readonly #mos = new Histogram(
    'callbin_call_leg_mos',
    'Estimated MOS (ITU-T G.107 E-model) of call legs at hangup that received media.',
    [1.5, 2, 2.5, 3, 3.5, 4, 4.2, 4.4, 4.5],
  );

  /** Counts one leg at its call's hangup. */
  observe(leg: LegQuality): void {
    this.#jitter.observe(leg.jitter_ms);
    this.#loss.observe(leg.loss_pct);
    if (leg.mos !== null) this.#mos.observe(leg.mos);
  }

  /** The histograms as Prometheus text. */
  metricsText(): string {
    return [...this.#jitter.text(), ...this.#loss.text(), ...this.#mos.text(), ''].join('\n');
  }
}
