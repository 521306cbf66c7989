import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../test/support/sipp.ts';
import { spawnPinned, startSippServer, waitForUdpListener } from '../sipp-run.ts';
import type { CpuPin, SippServer } from '../sipp-run.ts';
import { buildCProgram } from './peer-process.ts';

/** The benchmarks' callee: a sipp UAS, and what echoes the RTP it is sent. */
export interface EchoCallee extends SippServer {
  /** `c-echo`: rtp-echo.c beside the UAS; `sipp`: sipp's own -rtp_echo (no cc to build the C one). */
  media: 'c-echo' | 'sipp';
  /** The C echo's pid (its CPU and drops belong to the callee). */
  echoPid?: number;
  /** Every pid of the callee, for its CPU and UDP drops. */
  pids: number[];
}

const UAS_SCENARIO = fileURLToPath(new URL('./uas-echo.xml', import.meta.url));

/**
 * Starts the callee on 127.0.0.1:`port`: sipp answering every INVITE (its built-in `uas` flow) with
 * an SDP naming rtp-echo.c's port, so RTP is echoed from a 4 MB buffer in batches instead of by
 * sipp's -rtp_echo, whose default-sized socket overflows when the load core is busy for ~10 ms
 * (400 calls). Without a cc, sipp's own -rtp_echo is used. Both processes run on `pin`.
 */
export async function startEchoCallee(o: { port: number; pin?: CpuPin }): Promise<EchoCallee> {
  const built = buildCProgram('rtp-echo');
  if (!built.path) {
    const uas = await startSippServer({ port: o.port, mediaPort: await freePort('udp'), rtpEcho: true, pin: o.pin });
    return { ...uas, media: 'sipp', pids: [uas.pid] };
  }
  const argv = o.pin === undefined ? [built.path] : ['taskset', '-c', o.pin, built.path];
  const echo = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const echoClosed = new Promise<void>((resolve) => echo.once('close', () => resolve()));
  const stopEcho = async (): Promise<void> => {
    echo.stdin.end();
    if (echo.exitCode === null && echo.signalCode === null) echo.kill('SIGKILL');
    await echoClosed;
  };
  const lines = createInterface({ input: echo.stdout });
  const first = await new Promise<string>((resolve) => {
    lines.once('line', resolve);
    echo.once('close', () => resolve('exited'));
  });
  const m = /^port (\d+)$/.exec(first);
  if (!m) {
    await stopEcho();
    throw new Error(`rtp echo: ${first}`);
  }
  const cwd = await mkdtemp(join(tmpdir(), 'callbin-bench-uas-'));
  const args = [
    '-sf',
    UAS_SCENARIO,
    '-key',
    'echo_port',
    m[1]!,
    '-i',
    '127.0.0.1',
    '-p',
    String(o.port),
    '-nostdin',
    '-max_recv_loops',
    '10000',
    '-max_sched_loops',
    '10000',
    // sipp binds a media port of its own whatever the SDP says: a free one, unused.
    '-mi',
    '127.0.0.1',
    '-mp',
    String(await freePort('udp')),
  ];
  const sipp = spawnPinned(o.pin, 'sipp', args, cwd);
  let output = '';
  sipp.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-5000)));
  sipp.stdout.resume();
  const sippClosed = new Promise<void>((resolve) => sipp.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    if (sipp.exitCode === null && sipp.signalCode === null) sipp.kill('SIGKILL');
    await sippClosed;
    await stopEcho();
    await rm(cwd, { recursive: true, force: true });
  };
  try {
    await waitForUdpListener(o.port, () => sipp.exitCode !== null);
    if (sipp.exitCode !== null) throw new Error(`sipp UAS exited: ${output}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: sipp.pid!, port: o.port, stop, media: 'c-echo', echoPid: echo.pid!, pids: [sipp.pid!, echo.pid!] };
}
