import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startWebhookSink } from '../calls/callbin-server.ts';
import { machineInfo, writeResultFile } from '../calls/report.ts';
import { requireBinaries } from '../calls/system-tools.ts';
import { clusterLines, formatClusterLine } from './cluster-report.ts';
import type { ClusterLine, SetupResult } from './cluster-report.ts';
import { runClusterCost, runClusterLadder, runClusterStep } from './cluster-scenarios.ts';
import { startSetup } from './setups.ts';
import type { SetupKey } from './setups.ts';

/** Every knob of a run; {@link CLUSTER_FULL_OPTIONS} are the documented defaults. */
export interface ClusterBenchOptions {
  setups: readonly SetupKey[];
  /** The CPS ladder (calls/s), raised until a step is not sustained. */
  rates: readonly number[];
  stepSeconds: number;
  costRatePerSec: number;
  costSeconds: number;
  /** Calls at the cost rate before anything is measured (JIT, caches, pool connections). */
  warmUpSeconds: number;
  /** How long the servers' CPU is read with no calls (its rate is shown beside the cost per call). */
  idleSeconds: number;
  /** Quiet before the cost step, so every PostgreSQL backend flushed its statistics (≥ 10 s). */
  flushWaitMs: number;
  /** A URL of any database on the PostgreSQL server the run creates its databases on. */
  postgresAdminUrl: string;
  resultsDir: string;
  install: boolean;
  /** Load on core 0, servers on core 1 (only with two cores or more). */
  pin: boolean;
}

/** The documented run (about 5 minutes on 2 cores). */
export const CLUSTER_FULL_OPTIONS: ClusterBenchOptions = {
  setups: ['sqlite', 'postgres', 'cluster'],
  rates: [5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 400],
  stepSeconds: 5,
  costRatePerSec: 5,
  costSeconds: 20,
  idleSeconds: 5,
  warmUpSeconds: 4,
  flushWaitMs: 11_000,
  postgresAdminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  resultsDir: fileURLToPath(new URL('../results/', import.meta.url)),
  install: true,
  pin: true,
};

/** Everything a run measured; written as the JSON result file. */
export interface ClusterBenchResult {
  startedAt: string;
  machine: Record<string, unknown>;
  /** The machine's 1-minute load average when the run started and ended (other work shows here). */
  loadAverage: { start: number; end: number };
  options: ClusterBenchOptions;
  pins: { load?: string; server?: string };
  setups: SetupResult[];
  lines: ClusterLine[];
  webhooksReceived: number;
  resultFile?: string;
}

/**
 * Runs the `[answer, hangup]` scenario (webhooks on) against each set-up in turn — a warm-up, the
 * CPS ladder, then the cost step at a fixed rate — prints one line per figure with its ratio, and
 * writes `cluster-<timestamp>.json`.
 */
export async function runClusterBench(o: ClusterBenchOptions): Promise<ClusterBenchResult> {
  requireBinaries(['sipp', 'taskset', 'nats-server', ...(o.setups.includes('cluster') ? ['kamailio'] : [])], {
    install: o.install,
  });
  const pinned = o.pin && cpus().length >= 2;
  const pins = pinned ? { load: '0', server: '1' } : {};
  const r: ClusterBenchResult = {
    startedAt: new Date().toISOString(),
    machine: machineInfo(),
    loadAverage: { start: loadavg()[0] ?? NaN, end: NaN },
    options: o,
    pins,
    setups: [],
    lines: [],
    webhooksReceived: 0,
  };
  const webhooks = await startWebhookSink();
  const between = async (): Promise<void> => {
    await webhooks.quiet();
    await new Promise((res) => setTimeout(res, 1000));
  };
  // Stopped from outside (Ctrl-C, a time limit): stop the servers of the set-up in progress and
  // drop its database instead of leaving them running without their parent.
  let current: { close(): Promise<void> } | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    void (current?.close() ?? Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const key of o.setups) {
      const setup = await startSetup(key, {
        postgresAdminUrl: o.postgresAdminUrl,
        webhookUrl: webhooks.url,
        serverPin: pins.server,
      });
      current = setup;
      try {
        console.log(`${setup.label}: SIP ${setup.target.host}:${setup.target.port}`);
        // A warm-up at the cost rate (JIT, caches, pool connections); not counted.
        if (o.warmUpSeconds > 0) {
          await runClusterStep(setup, { ratePerSec: o.costRatePerSec, seconds: o.warmUpSeconds, pin: pins.load });
          await between();
        }
        // The servers' CPU with no calls (timers, health checks, heartbeats in cluster mode).
        const quiet = await setup.probe.measure(() => new Promise((res) => setTimeout(res, o.idleSeconds * 1000)));
        const idle = {
          seconds: quiet.wallMs / 1000,
          cpuMsPerSec: Object.fromEntries(Object.entries(quiet.cpuMs).map(([k, v]) => [k, v / (quiet.wallMs / 1000)])),
        };
        const ladder = await runClusterLadder(setup, {
          rates: o.rates,
          stepSeconds: o.stepSeconds,
          pin: pins.load,
          between,
        });
        const cost = await runClusterCost(setup, {
          ratePerSec: o.costRatePerSec,
          seconds: o.costSeconds,
          pin: pins.load,
          settle: () => webhooks.quiet(),
          flushWaitMs: o.flushWaitMs,
        });
        r.setups.push({
          key,
          label: setup.label,
          ...(setup.database ? { database: setup.database.name } : {}),
          idle,
          ladder,
          cost,
        });
      } finally {
        current = undefined;
        await setup.close();
      }
    }
    r.webhooksReceived = webhooks.received();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await webhooks.close();
  }
  r.loadAverage.end = loadavg()[0] ?? NaN;
  r.lines = clusterLines(r.setups, o.costRatePerSec);
  console.log(
    `\nResults (ratio against (a), store figures against (b); ${pinned ? 'sipp on core 0, every server process on core 1: two nodes on one core measure the cost of cluster mode, not its scale' : 'not pinned'})`,
  );
  for (const l of r.lines) console.log(formatClusterLine(l));
  console.log(
    `load average (1 min) at start ${r.loadAverage.start.toFixed(1)}, at end ${r.loadAverage.end.toFixed(1)}`,
  );
  r.resultFile = await writeResultFile(o.resultsDir, r, 'cluster');
  console.log(`result file: ${r.resultFile}`);
  return r;
}
