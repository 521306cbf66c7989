import { spawnChild, type ChildHandle } from '../../scripts/cluster-launcher.ts';
import { freePort } from '../../test/support/sipp.ts';
import type { CpuPin } from '../calls/sipp-run.ts';

/** The message counters of a NATS server's `/varz` (docs/cluster.md "Bus"). */
export interface BusCounters {
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
}

/** A NATS server of the run's own, with its monitoring port on, so its counters are the cluster's alone. */
export interface BenchNats {
  url: string;
  pid: number;
  counters(): Promise<BusCounters>;
  stop(): Promise<void>;
}

/**
 * Starts `nats-server` on loopback on free ports, pinned to `pin`, with HTTP monitoring (`-m`) for
 * `/varz`. The cluster needs plain publish/subscribe and request/reply only (no JetStream).
 */
export async function startBenchNats(pin: CpuPin): Promise<BenchNats> {
  const port = await freePort('tcp');
  const monitorPort = await freePort('tcp');
  const args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort)];
  const argv = pin === undefined ? ['nats-server', ...args] : ['taskset', '-c', pin, 'nats-server', ...args];
  const child: ChildHandle = spawnChild(argv[0]!, argv.slice(1), process.env);
  try {
    await child.waitForLine(/Server is ready/, 15_000);
  } catch (err) {
    await child.stop(2_000);
    throw err;
  }
  const varz = `http://127.0.0.1:${monitorPort}/varz`;
  return {
    url: `nats://127.0.0.1:${port}`,
    // taskset execs nats-server in place, so the child's pid is the server's.
    pid: child.pid,
    counters: async () => {
      const v = (await (await fetch(varz)).json()) as Record<string, number>;
      return {
        inMsgs: Number(v.in_msgs ?? 0),
        outMsgs: Number(v.out_msgs ?? 0),
        inBytes: Number(v.in_bytes ?? 0),
        outBytes: Number(v.out_bytes ?? 0),
      };
    },
    stop: () => child.stop(5_000),
  };
}
