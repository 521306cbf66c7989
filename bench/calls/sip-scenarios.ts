import type { SipTarget } from './bench-env.ts';
import { percentile } from './sipp-output.ts';
import { runSippClient } from './sipp-run.ts';
import type { CpuPin } from './sipp-run.ts';

/** One fixed-rate step of `[answer, hangup]` calls against a target. */
export interface RateStep {
  ratePerSec: number;
  calls: number;
  successful: number;
  failed: number;
  retransmissions: number;
  failurePct: number;
  retransmissionPct: number;
  /** Calls completed per second of the step's wall time. */
  achievedPerSec: number;
  /** Server CPU over the step, % of one core. */
  cpuPct: number;
  /** Server CPU ms per successful call (with the work `settle` waited for, e.g. webhooks still queued). */
  cpuMsPerCall: number;
  /** INVITE → 200 OK per call (only when traced). */
  setupMs: number[];
  sustained: boolean;
}

/** Limits under which a rate counts as sustained (the thresholds). */
export const SUSTAINED = { maxFailurePct: 0.1, maxRetransmissionPct: 1 } as const;

/**
 * Runs `ratePerSec` for `seconds` against `target`, measuring the server's CPU. `settle` (e.g. "the
 * webhooks stopped arriving") is awaited after the calls and its CPU counted in `cpuMsPerCall`, so
 * work a server defers (queued webhooks) is not left out of the cost of the calls that caused it.
 */
export async function runRateStep(
  target: SipTarget,
  o: { ratePerSec: number; seconds: number; pin: CpuPin; trace?: boolean; settle?: () => Promise<void> },
): Promise<RateStep> {
  const calls = Math.max(1, Math.round(o.ratePerSec * o.seconds));
  let settledCpuMs = 0;
  const { result, cpuMs, wallMs } = await target.probe.measure(() =>
    runSippClient({
      scenario: 'uac-answer-hangup.xml',
      target,
      localPort: target.callerPort,
      service: target.numbers.answerHangup,
      ratePerSec: o.ratePerSec,
      calls,
      maxConcurrent: Math.max(200, o.ratePerSec * 4),
      pin: o.pin,
      traceMessages: o.trace ?? false,
      timeoutMs: o.seconds * 3000 + 40_000,
    }),
  );
  if (o.settle) settledCpuMs = (await target.probe.measure(o.settle)).cpuMs;
  const { stats } = result;
  const failed = Math.max(stats.failed, calls - stats.successful);
  const failurePct = (failed / calls) * 100;
  const retransmissionPct = (stats.retransmissions / calls) * 100;
  const achievedPerSec = stats.successful / (wallMs / 1000);
  return {
    ratePerSec: o.ratePerSec,
    calls,
    successful: stats.successful,
    failed,
    retransmissions: stats.retransmissions,
    failurePct,
    retransmissionPct,
    achievedPerSec,
    cpuPct: (cpuMs / wallMs) * 100,
    cpuMsPerCall: stats.successful > 0 ? (cpuMs + settledCpuMs) / stats.successful : NaN,
    setupMs: result.setupMs,
    // A step is sustained when nearly every call completed within a little over its planned time.
    sustained:
      failurePct <= SUSTAINED.maxFailurePct &&
      retransmissionPct <= SUSTAINED.maxRetransmissionPct &&
      achievedPerSec >= o.ratePerSec * 0.8,
  };
}

/** The outcome of a CPS ramp. */
export interface CpsRamp {
  steps: RateStep[];
  /** Highest sustained rate (0 when even the first failed). */
  maxSustainedPerSec: number;
  /** Server CPU at that rate, % of one core. */
  cpuPctAtMax: number;
}

/** Raises the rate through `rates` until a step is not sustained (bounded by the list). */
export async function runCpsRamp(
  target: SipTarget,
  o: { rates: readonly number[]; stepSeconds: number; pin: CpuPin; pauseMs?: number },
): Promise<CpsRamp> {
  const steps: RateStep[] = [];
  let best: RateStep | undefined;
  for (const ratePerSec of o.rates) {
    const step = await runRateStep(target, { ratePerSec, seconds: o.stepSeconds, pin: o.pin });
    steps.push(step);
    const { setupMs: _, ...shown } = step;
    console.log(
      `  ${target.name.padEnd(20)} ${JSON.stringify({ ...shown, cpuPct: +step.cpuPct.toFixed(1), cpuMsPerCall: +step.cpuMsPerCall.toFixed(3), achievedPerSec: +step.achievedPerSec.toFixed(1) })}`,
    );
    if (!step.sustained) break;
    best = step;
    // Let the last transactions end (timers, webhooks) before the next rate.
    if (ratePerSec !== o.rates[o.rates.length - 1]) await new Promise((r) => setTimeout(r, o.pauseMs ?? 1000));
  }
  return { steps, maxSustainedPerSec: best?.ratePerSec ?? 0, cpuPctAtMax: best?.cpuPct ?? NaN };
}

/** Setup latency percentiles (ms) at a fixed rate. */
export interface SetupLatency {
  ratePerSec: number;
  calls: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  failed: number;
}

/** INVITE → 200 OK latency from sipp's message trace at `ratePerSec` for `seconds`. */
export async function runSetupLatency(
  target: SipTarget,
  o: { ratePerSec: number; seconds: number; pin: CpuPin },
): Promise<SetupLatency> {
  const step = await runRateStep(target, { ...o, trace: true });
  return {
    ratePerSec: o.ratePerSec,
    calls: step.setupMs.length,
    failed: step.failed,
    p50Ms: percentile(step.setupMs, 50),
    p95Ms: percentile(step.setupMs, 95),
    p99Ms: percentile(step.setupMs, 99),
  };
}
