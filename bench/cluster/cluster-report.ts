import type { ClusterCost, ClusterLadder } from './cluster-scenarios.ts';
import { describeTables } from './pg-tables.ts';
import { SETUP_LABELS } from './setups.ts';
import type { SetupKey } from './setups.ts';

/** What one set-up measured. */
export interface SetupResult {
  key: SetupKey;
  label: string;
  /** The run's own PostgreSQL database (dropped at the end of the set-up). */
  database?: string;
  /** The servers' CPU per part with no calls, ms per second. */
  idle: { seconds: number; cpuMsPerSec: Record<string, number> };
  ladder: ClusterLadder;
  cost: ClusterCost;
}

/** One printed figure of one set-up, with its ratio against the reference set-up. */
export interface ClusterLine {
  figure: string;
  unit: string;
  setup: SetupKey;
  value: number;
  /** The set-up the ratio is taken against: (a), or (b) for store figures SQLite has no counters for. */
  against: SetupKey;
  ratio: number;
  note?: string;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** The one-line form of a figure, as the script prints it. */
export function formatClusterLine(l: ClusterLine): string {
  const ratio = Number.isFinite(l.ratio) ? `${fmt(l.ratio)}× ${SETUP_LABELS[l.against].slice(0, 3)}` : '—';
  return `${l.figure.padEnd(36)} ${SETUP_LABELS[l.setup].padEnd(32)} ${fmt(l.value).padStart(8)} ${l.unit.padEnd(10)} ratio ${ratio}${l.note ? `  (${l.note})` : ''}`;
}

/** The figures of a run: CPS, CPU per call (parts named), store writes and bus messages per call. */
export function clusterLines(results: readonly SetupResult[], costRatePerSec: number): ClusterLine[] {
  const by = new Map(results.map((r) => [r.key, r]));
  const lines: ClusterLine[] = [];
  const add = (
    figure: string,
    unit: string,
    value: (r: SetupResult) => number | undefined,
    against: SetupKey,
    note?: (r: SetupResult) => string | undefined,
  ): void => {
    const ref = by.get(against);
    const refValue = ref ? value(ref) : undefined;
    for (const r of results) {
      const v = value(r);
      if (v === undefined) continue;
      const n = note?.(r);
      lines.push({
        figure,
        unit,
        setup: r.key,
        value: v,
        against,
        ratio: refValue === undefined ? NaN : v / refValue,
        ...(n ? { note: n } : {}),
      });
    }
  };
  add(
    'CPS, highest sustained',
    'calls/s',
    (r) => r.ladder.maxSustainedPerSec,
    'sqlite',
    (r) => (r.ladder.topReached ? 'highest rate tried' : undefined),
  );
  add(
    `CPU per call at ${costRatePerSec} calls/s`,
    'CPU-ms',
    (r) => r.cost.step.totalCpuMsPerCall,
    'sqlite',
    (r) =>
      Object.entries(r.cost.step.cpuMsPerCall)
        .map(([part, ms]) => `${part} ${fmt(ms)}`)
        .join(' + ') + (r.cost.step.failed > 0 ? `; ${r.cost.step.failed} calls failed` : ''),
  );
  // The ladder's step at the highest rate every set-up sustained: CPU per call where fixed costs weigh less.
  const common = Math.min(...results.map((r) => r.ladder.maxSustainedPerSec));
  if (common > 0)
    add(
      `CPU per call at ${common} calls/s (ladder)`,
      'CPU-ms',
      (r) => r.ladder.steps.find((st) => st.ratePerSec === common)?.totalCpuMsPerCall,
      'sqlite',
      (r) => {
        const st = r.ladder.steps.find((x) => x.ratePerSec === common);
        return st
          ? Object.entries(st.cpuMsPerCall)
              .map(([part, ms]) => `${part} ${fmt(ms)}`)
              .join(' + ')
          : undefined;
      },
    );
  const sum = (rec: Record<string, number>): number => Object.values(rec).reduce((a, b) => a + b, 0);
  add(
    `  same, above the idle CPU`,
    'CPU-ms',
    (r) => (sum(r.cost.step.cpuMs) - (sum(r.idle.cpuMsPerSec) * r.cost.step.wallMs) / 1000) / r.cost.step.successful,
    'sqlite',
  );
  add(
    'idle CPU (no calls)',
    'ms/s',
    (r) => sum(r.idle.cpuMsPerSec),
    'sqlite',
    (r) =>
      Object.entries(r.idle.cpuMsPerSec)
        .map(([part, ms]) => `${part} ${fmt(ms)}`)
        .join(' + '),
  );
  add('store commits per call', 'commits', (r) => r.cost.store?.perCall.commits, 'postgres');
  add('store rows inserted per call', 'rows', (r) => r.cost.store?.perCall.inserted, 'postgres');
  add('store rows updated per call', 'rows', (r) => r.cost.store?.perCall.updated, 'postgres');
  add('store rows deleted per call', 'rows', (r) => r.cost.store?.perCall.deleted, 'postgres');
  add(
    'store rows read per call',
    'rows',
    (r) => r.cost.store?.perCall.returned,
    'postgres',
    (r) => (r.cost.store ? describeTables(r.cost.store.tablesPerCall) : undefined),
  );
  add(
    'bus messages published per call',
    'msgs',
    (r) => r.cost.bus?.perCall.inMsgs,
    'sqlite',
    (r) => (r.cost.bus ? `${fmt(r.cost.bus.perCall.inBytes)} bytes` : undefined),
  );
  add(
    'bus messages delivered per call',
    'msgs',
    (r) => r.cost.bus?.perCall.outMsgs,
    'sqlite',
    (r) => (r.cost.bus ? `${fmt(r.cost.bus.perCall.outBytes)} bytes` : undefined),
  );
  return lines;
}
