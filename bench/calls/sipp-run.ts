import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSippStats, parseTraceMsgSetupMs } from './sipp-output.ts';
import type { SippStats } from './sipp-output.ts';

/** The folder of the sipp scenario XMLs shipped with the benchmarks. */
export const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));

/** Where a process is pinned: a CPU list for `taskset -c`, or nothing. */
export type CpuPin = string | undefined;

/** Spawns `cmd args` pinned with taskset when `pin` is set. */
export function spawnPinned(pin: CpuPin, cmd: string, args: readonly string[], cwd?: string) {
  const argv = pin === undefined ? [cmd, ...args] : ['taskset', '-c', pin, cmd, ...args];
  return spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** One sipp client run (a caller generating load). */
export interface SippClientOptions {
  /** Scenario file name in {@link SCENARIO_DIR}. */
  scenario: string;
  target: { host: string; port: number };
  localPort: number;
  /** The request-URI user part (`-s`). */
  service: string;
  ratePerSec: number;
  calls: number;
  /** Most calls open at once (`-l`). */
  maxConcurrent?: number;
  /** Pause length of `<pause/>` in the scenario (`-d`). */
  pauseMs?: number;
  pin?: CpuPin;
  /** Record every message with µs timestamps for setup latency (costs the generator CPU). */
  traceMessages?: boolean;
  /** Extra sipp arguments (injection file, log file…). */
  extraArgs?: readonly string[];
  /** Called with sipp's working directory once it is started. */
  onStart?: (cwd: string) => void;
  /** Kill sipp after this long (SIGKILL). */
  timeoutMs: number;
}

/** What a sipp client run produced. */
export interface SippClientResult {
  exitCode: number | null;
  stats: SippStats;
  /** INVITE → 200 OK per answered call (ms, µs precision), when `traceMessages` was set. */
  setupMs: number[];
  output: string;
}

/** Runs a sipp client to completion in a temporary directory and reads its statistics. */
export async function runSippClient(o: SippClientOptions): Promise<SippClientResult> {
  const cwd = await mkdtemp(join(tmpdir(), 'callbin-bench-sipp-'));
  const args = [
    '-sf',
    join(SCENARIO_DIR, o.scenario),
    `${o.target.host}:${o.target.port}`,
    '-i',
    '127.0.0.1',
    '-p',
    String(o.localPort),
    '-s',
    o.service,
    '-r',
    String(o.ratePerSec),
    '-m',
    String(o.calls),
    '-l',
    String(o.maxConcurrent ?? Math.max(100, o.ratePerSec * 10)),
    '-nostdin',
    '-trace_stat',
    '-stf',
    join(cwd, 'stat.csv'),
    '-fd',
    '1',
    '-max_recv_loops',
    '10000',
    '-max_sched_loops',
    '10000',
    ...(o.pauseMs !== undefined ? ['-d', String(o.pauseMs)] : []),
    ...(o.traceMessages ? ['-trace_msg', '-message_file', join(cwd, 'messages.log')] : []),
    ...(o.extraArgs ?? []),
  ];
  try {
    const child = spawnPinned(o.pin, 'sipp', args, cwd);
    o.onStart?.(cwd);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    }).finally(() => clearTimeout(timer));
    const stats = parseSippStats(await readFile(join(cwd, 'stat.csv'), 'utf8').catch(() => ''));
    const setupMs = o.traceMessages
      ? parseTraceMsgSetupMs(await readFile(join(cwd, 'messages.log'), 'utf8').catch(() => ''))
      : [];
    return { exitCode, stats, setupMs, output };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

/** A sipp server (UAS) running in the background. */
export interface SippServer {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** Starts a sipp UAS (built-in `uas` unless `scenario` is given) on 127.0.0.1:`port`. */
export async function startSippServer(o: {
  port: number;
  mediaPort?: number;
  rtpEcho?: boolean;
  scenario?: string;
  pin?: CpuPin;
}): Promise<SippServer> {
  const cwd = await mkdtemp(join(tmpdir(), 'callbin-bench-uas-'));
  const args = [
    ...(o.scenario ? ['-sf', join(SCENARIO_DIR, o.scenario)] : ['-sn', 'uas']),
    '-i',
    '127.0.0.1',
    '-p',
    String(o.port),
    '-nostdin',
    '-max_recv_loops',
    '10000',
    '-max_sched_loops',
    '10000',
    ...(o.mediaPort !== undefined ? ['-mi', '127.0.0.1', '-mp', String(o.mediaPort)] : []),
    ...(o.rtpEcho ? ['-rtp_echo'] : []),
  ];
  const child = spawnPinned(o.pin, 'sipp', args, cwd);
  let output = '';
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-5000)));
  child.stdout.resume();
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await waitForUdpListener(o.port, () => child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`sipp UAS exited: ${output}`);
  return {
    pid: child.pid!,
    port: o.port,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closed;
      await rm(cwd, { recursive: true, force: true });
    },
  };
}

/** Waits until a UDP socket is bound on 127.0.0.1:`port` (read from /proc/net/udp). */
export async function waitForUdpListener(port: number, gaveUp: () => boolean, timeoutMs = 10_000): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gaveUp()) {
    const table = await readFile('/proc/net/udp', 'utf8');
    if (table.split('\n').some((line) => line.trim().split(/\s+/)[1]?.endsWith(hex.trim()))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!gaveUp()) throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`);
}
