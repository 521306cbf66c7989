import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** One printed result: callbin's figure, the baseline's and their ratio. */
export interface ScenarioLine {
  scenario: string;
  unit: string;
  callbin: number;
  baselineName: string;
  baseline: number;
  /** callbin / baseline (NaN without a baseline). */
  ratio: number;
  /** Whether a higher figure is better (calls/s) or a lower one (ms, CPU). */
  higherIsBetter: boolean;
  note?: string;
}

/** Builds a line, computing the ratio. */
export function line(
  scenario: string,
  unit: string,
  callbin: number,
  baselineName: string,
  baseline: number,
  higherIsBetter: boolean,
  note?: string,
): ScenarioLine {
  return {
    scenario,
    unit,
    callbin,
    baselineName,
    baseline,
    ratio: callbin / baseline,
    higherIsBetter,
    ...(note ? { note } : {}),
  };
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** The one-line form of a result, as the scripts print it. */
export function formatLine(l: ScenarioLine): string {
  const ratio = Number.isFinite(l.ratio) ? `ratio ${fmt(l.ratio)}×` : 'ratio —';
  return `${l.scenario.padEnd(34)} callbin ${fmt(l.callbin).padStart(8)} ${l.unit.padEnd(10)} ${l.baselineName.padEnd(20)} ${fmt(l.baseline).padStart(8)} ${l.unit.padEnd(10)} ${ratio}${l.note ? `  (${l.note})` : ''}`;
}

function versionOf(cmd: string, args: string[]): string {
  // sipp -v exits non-zero and rtpengine prints its version on stderr: read both, whatever the status.
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
  const text = `${r.stdout?.toString() ?? ''}\n${r.stderr?.toString() ?? ''}`;
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? 'unavailable'
  );
}

/** What machine and tools produced a result file. */
export function machineInfo(): Record<string, unknown> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    sipp: versionOf('sipp', ['-v']),
    kamailio: versionOf('kamailio', ['-v']),
    rtpengine: versionOf('rtpengine', ['--version']),
  };
}

/** Writes `result` as `calls-<timestamp>.json` (or `<prefix>-<timestamp>.json`) in `dir`; returns the path. */
export async function writeResultFile(dir: string, result: unknown, prefix = 'calls'): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${prefix}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
