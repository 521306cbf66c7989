import type { PgActivity } from '../calls/bench-postgres.ts';
import { SUSTAINED } from '../calls/sip-scenarios.ts';
import { runSippClient } from '../calls/sipp-run.ts';
import type { CpuPin } from '../calls/sipp-run.ts';
import type { BusCounters } from './nats-server.ts';
import { readTableCounters, tableCountersPerCall } from './pg-tables.ts';
import type { TableCounters } from './pg-tables.ts';
import type { BenchSetup } from './setups.ts';

/** The caller's scenario, relative to bench/calls' scenario folder (it keeps the edge's route set). */
const SCENARIO = '../../cluster/scenarios/uac-answer-hangup-routed.xml';

/** One fixed-rate step of `[answer, hangup]` calls against a set-up, with its CPU per named part. */
export interface ClusterStep {
  ratePerSec: number;
  calls: number;
  successful: number;
  failed: number;
  retransmissions: number;
  failurePct: number;
  retransmissionPct: number;
  /** Calls completed per second of the step's wall time. */
  achievedPerSec: number;
  sustained: boolean;
  /** Server CPU ms over the step per part (node or nodes, PostgreSQL backends, NATS, Kamailio). */
  cpuMs: Record<string, number>;
  /** The same per successful call. */
  cpuMsPerCall: Record<string, number>;
  /** The parts' sum per successful call. */
  totalCpuMsPerCall: number;
  /** Every server part's CPU over the step, % of one core. */
  cpuPct: number;
  /** Wall time of the step (the calls, then `settle`). */
  wallMs: number;
  /** Wall time of sipp's run alone. */
  sippWallMs: number;
}

/**
 * Runs `ratePerSec` for `seconds` of the routed `[answer, hangup]` caller against the set-up,
 * measuring each part's CPU; `settle` (the webhooks stopped arriving) is awaited after the calls and
 * its CPU counted, as bench/calls' cost scenario does.
 */
export async function runClusterStep(
  setup: BenchSetup,
  o: { ratePerSec: number; seconds: number; pin: CpuPin; settle?: () => Promise<void> },
): Promise<ClusterStep> {
  const calls = Math.max(1, Math.round(o.ratePerSec * o.seconds));
  const { result, cpuMs, wallMs } = await setup.probe.measure(async () => {
    const t0 = performance.now();
    const sipp = await runSippClient({
      scenario: SCENARIO,
      target: setup.target,
      localPort: setup.callerPort,
      service: setup.number,
      ratePerSec: o.ratePerSec,
      calls,
      maxConcurrent: Math.max(200, o.ratePerSec * 4),
      pin: o.pin,
      timeoutMs: o.seconds * 3000 + 40_000,
    });
    const sippWallMs = performance.now() - t0;
    await o.settle?.();
    return { sipp, sippWallMs };
  });
  const { stats } = result.sipp;
  const failed = Math.max(stats.failed, calls - stats.successful);
  const failurePct = (failed / calls) * 100;
  const retransmissionPct = (stats.retransmissions / calls) * 100;
  const achievedPerSec = stats.successful / (result.sippWallMs / 1000);
  // In time: sipp offers the calls at the rate whatever the server does, so a server that falls
  // behind ends the step with a backlog; allowed: the last call's own length and sipp's start.
  const inTime = result.sippWallMs <= (o.seconds + Math.max(1.5, o.seconds * 0.2)) * 1000;
  const per = (ms: number): number => (stats.successful > 0 ? ms / stats.successful : NaN);
  const cpuMsPerCall = Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, per(v)]));
  const totalMs = Object.values(cpuMs).reduce((a, b) => a + b, 0);
  return {
    ratePerSec: o.ratePerSec,
    calls,
    successful: stats.successful,
    failed,
    retransmissions: stats.retransmissions,
    failurePct,
    retransmissionPct,
    achievedPerSec,
    // Failures under 0.1 % and no backlog; retransmissions are recorded, not judged (a loaded
    // machine delays a 100 Trying past sipp's 500 ms timer without the call failing).
    sustained: failurePct <= SUSTAINED.maxFailurePct && inTime,
    cpuMs,
    cpuMsPerCall,
    totalCpuMsPerCall: per(totalMs),
    cpuPct: (totalMs / wallMs) * 100,
    wallMs,
    sippWallMs: result.sippWallMs,
  };
}

/** A short CPS ladder's outcome. */
export interface ClusterLadder {
  steps: ClusterStep[];
  /** Highest sustained rate (0 when even the first failed). */
  maxSustainedPerSec: number;
  /** Whether the highest rate tried was sustained (the figure is a floor). */
  topReached: boolean;
}

/** Raises the rate through `rates` until a step is not sustained; `between` runs after each sustained step. */
export async function runClusterLadder(
  setup: BenchSetup,
  o: { rates: readonly number[]; stepSeconds: number; pin: CpuPin; between: () => Promise<void> },
): Promise<ClusterLadder> {
  const steps: ClusterStep[] = [];
  let best: ClusterStep | undefined;
  for (const ratePerSec of o.rates) {
    const step = await runClusterStep(setup, { ratePerSec, seconds: o.stepSeconds, pin: o.pin });
    steps.push(step);
    console.log(
      `  ${setup.label.padEnd(32)} ${ratePerSec}/s: ${step.successful}/${step.calls} ok, ${step.failed} failed, ` +
        `${step.retransmissions} retransmissions, ${(step.sippWallMs / 1000).toFixed(1)} s, ` +
        `servers ${step.cpuPct.toFixed(0)} % of a core (${step.totalCpuMsPerCall.toFixed(1)} ms per call)` +
        `${step.sustained ? '' : '  (not sustained)'}`,
    );
    if (!step.sustained) break;
    best = step;
    await o.between();
  }
  const top = o.rates[o.rates.length - 1];
  return { steps, maxSustainedPerSec: best?.ratePerSec ?? 0, topReached: best?.ratePerSec === top };
}

/** The cost step: CPU per part, store writes and bus messages per call. */
export interface ClusterCost {
  step: ClusterStep;
  /** pg_stat_database of the set-up's own database over the step, in total and per successful call. */
  store?: { perCall: PgActivity; total: PgActivity; tablesPerCall: Record<string, TableCounters> };
  /** The run's NATS server's `/varz` counters over the step, in total and per successful call. */
  bus?: { perCall: BusCounters; total: BusCounters };
}

const delta = <T extends object>(a: T, b: T): T =>
  Object.fromEntries(Object.keys(b).map((k) => [k, Number(b[k as keyof T]) - Number(a[k as keyof T])])) as T;
const perCall = <T extends object>(t: T, calls: number): T =>
  Object.fromEntries(Object.entries(t).map(([k, v]) => [k, calls > 0 ? Number(v) / calls : NaN])) as T;

/**
 * The cost of a call at a fixed rate. PostgreSQL counts a backend's work in pg_stat_database only
 * when the backend flushes its statistics (within ~10 s of going idle, and at exit), so the
 * counters are read after `flushWaitMs` of quiet before the step and after the servers stopped
 * (their backends exit) — hence this step comes last and stops the set-up's servers.
 */
export async function runClusterCost(
  setup: BenchSetup,
  o: { ratePerSec: number; seconds: number; pin: CpuPin; settle: () => Promise<void>; flushWaitMs: number },
): Promise<ClusterCost> {
  await o.settle();
  if (setup.database) await new Promise((r) => setTimeout(r, o.flushWaitMs));
  const tables0 = setup.database ? await readTableCounters(setup.database.url) : undefined;
  // The reading connection's own statistics are flushed as it closes, before this read.
  await new Promise((r) => setTimeout(r, 200));
  const store0 = await setup.database?.activity();
  const bus0 = await setup.nats?.counters();
  const step = await runClusterStep(setup, {
    ratePerSec: o.ratePerSec,
    seconds: o.seconds,
    pin: o.pin,
    settle: o.settle,
  });
  const bus1 = await setup.nats?.counters();
  await setup.stopServers();
  await new Promise((r) => setTimeout(r, 500));
  const store1 = await setup.database?.activity();
  const tables1 = setup.database ? await readTableCounters(setup.database.url) : undefined;
  const cost: ClusterCost = { step };
  if (store0 && store1 && tables0 && tables1) {
    const total = delta(store0, store1);
    cost.store = {
      total,
      perCall: perCall(total, step.successful),
      tablesPerCall: tableCountersPerCall(tables0, tables1, step.successful),
    };
  }
  if (bus0 && bus1) {
    const total = delta(bus0, bus1);
    cost.bus = { total, perCall: perCall(total, step.successful) };
  }
  return cost;
}
