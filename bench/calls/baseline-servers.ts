import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kamailioRtpengineProxyConfig, kamailioUasConfig } from './kamailio-config.ts';
import { waitForUdpListener } from './sipp-run.ts';
import type { CpuPin } from './sipp-run.ts';

/** A baseline server process (Kamailio or rtpengine) started by the benchmarks. */
export interface BaselineServer {
  name: string;
  /** Root pid; CPU and RSS are counted over it and its descendants. */
  pid: number;
  port: number;
  stop(): Promise<void>;
}

function watch(child: ChildProcess): { output: () => string; closed: Promise<void> } {
  let out = '';
  const collect = (d: Buffer) => (out = (out + d.toString()).slice(-8000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { output: () => out, closed: new Promise((resolve) => child.once('close', () => resolve())) };
}

async function startDaemon(
  name: string,
  pin: CpuPin,
  cmd: string,
  args: string[],
  port: number,
  dir: string,
): Promise<BaselineServer> {
  const argv = pin === undefined ? [cmd, ...args] : ['taskset', '-c', pin, cmd, ...args];
  // Its own process group, so that stop() reaches every worker Kamailio forked.
  const child = spawn(argv[0]!, argv.slice(1), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const { output, closed } = watch(child);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGTERM to the main process first: it stops and reaps its own workers; the group kill
      // is the fallback for a daemon that does not exit in time.
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, 3000);
      await closed;
      clearTimeout(timer);
    }
    await closed;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForUdpListener(port, () => child.exitCode !== null);
  } catch (err) {
    await stop();
    throw err;
  }
  if (child.exitCode !== null) {
    await stop();
    throw new Error(`${name} exited (${child.exitCode}): ${output()}`);
  }
  return { name, pid: child.pid!, port, stop };
}

/** Starts Kamailio with a config written to a temporary folder; `mode` picks the template. */
export async function startKamailio(
  o:
    | { mode: 'uas'; port: number; children?: number; pin?: CpuPin }
    | { mode: 'proxy'; port: number; children?: number; pin?: CpuPin; uasPort: number; ngPort: number },
): Promise<BaselineServer> {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-bench-kamailio-'));
  const children = o.children ?? 4;
  const config =
    o.mode === 'uas'
      ? kamailioUasConfig({ port: o.port, children })
      : kamailioRtpengineProxyConfig({ port: o.port, children, uasPort: o.uasPort, ngPort: o.ngPort });
  await writeFile(join(dir, 'kamailio.cfg'), config);
  const args = [
    '-DD',
    '-E',
    '-f',
    join(dir, 'kamailio.cfg'),
    '-Y',
    dir,
    '-w',
    dir,
    '-P',
    join(dir, 'kamailio.pid'),
    '-m',
    '256',
    '-M',
    '16',
  ];
  return startDaemon(`kamailio (${o.mode})`, o.pin, 'kamailio', args, o.port, dir);
}

/** Starts rtpengine in userspace only (no kernel table) with ng control on 127.0.0.1:`ngPort`. */
export async function startRtpengine(o: {
  ngPort: number;
  portMin: number;
  portMax: number;
  threads?: number;
  pin?: CpuPin;
}): Promise<BaselineServer> {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-bench-rtpengine-'));
  const args = [
    '--config-file=none',
    '--foreground',
    '--log-stderr',
    '--log-level=3',
    '--table=-1',
    '--interface=127.0.0.1',
    `--listen-ng=127.0.0.1:${o.ngPort}`,
    `--port-min=${o.portMin}`,
    `--port-max=${o.portMax}`,
    `--num-threads=${o.threads ?? 2}`,
    `--pidfile=${join(dir, 'rtpengine.pid')}`,
  ];
  return startDaemon('rtpengine', o.pin, 'rtpengine', args, o.ngPort, dir);
}
