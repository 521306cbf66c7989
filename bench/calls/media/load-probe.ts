import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { clockTicksPerSec, cpuMsOf, processTree } from '../proc-stats.ts';

/** CPU of the load side over a window, % of one core. */
export interface LoadCpu {
  /** The callers' RTP peer process. */
  peerPct: number;
  /** The callee: the sipp UAS and what echoes its RTP. */
  uasPct: number;
  /** The sipp caller. */
  callerPct: number;
  /** Everything that ran on the load core (other processes of the machine included), NaN unpinned. */
  corePct: number;
  /** Everything that ran on the server core: above the server's own CPU, other processes took it. */
  serverCorePct: number;
}

/** Datagrams dropped by full receive buffers, per party. */
export interface UdpDrops {
  server: number;
  uas: number;
  peer: number;
}

/**
 * Idle time of one core in ms from /proc/stat (idle + iowait); NaN when unknown. Only the idle
 * columns are exact on a tickless kernel: user and system are sampled on the timer tick, and a
 * process waking every millisecond (the RTP peer) hides between ticks, so busy = wall − idle.
 */
export function coreIdleMs(core: string | undefined): number {
  if (core === undefined || !/^\d+$/.test(core)) return NaN;
  const row = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  if (!row) return NaN;
  const f = row.trim().split(/\s+/).slice(1).map(Number);
  return (((f[3] ?? NaN) + (f[4] ?? NaN)) * 1000) / clockTicksPerSec();
}

/** The pid of the sipp client running in `cwd` (its command line names its statistics file there). */
export function sippPidIn(cwd: string): number | undefined {
  for (const pid of processTree(process.pid)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('sipp') && cmd.includes(`${cwd}/stat.csv`)) return pid;
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

/** Socket inodes a process holds open. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      // Closed meanwhile.
    }
  }
  return out;
}

/**
 * Datagrams the kernel dropped on the UDP sockets of each of `pids` (receive buffer full), summed
 * over the sockets open now (/proc/net/udp's `drops` column; a closed socket's drops are gone).
 */
export function udpDrops(pids: readonly (number | undefined)[]): number[] {
  const byInode = new Map<string, number>();
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 13) byInode.set(f[9]!, Number(f[12]));
  }
  return pids.map((pid) => {
    if (pid === undefined) return NaN;
    let drops = 0;
    for (const inode of socketInodes(pid)) drops += byInode.get(inode) ?? 0;
    return drops;
  });
}

/** Samples the load side's CPU and every party's UDP drops at the start and end of a window. */
export class LoadProbe {
  readonly #pids: {
    peer?: number | undefined;
    uas: readonly number[];
    caller?: number | undefined;
    server: () => number[];
  };
  readonly #cores: { load: string | undefined; server: string | undefined };
  #t0 = 0;
  #start: number[] = [];
  #drops0: number[] = [];

  constructor(
    pids: { peer?: number | undefined; uas: readonly number[]; server: () => number[] },
    cores: { load: string | undefined; server: string | undefined },
  ) {
    this.#pids = { ...pids };
    this.#cores = cores;
  }

  /** Sets the sipp caller's pid (known once it runs). */
  setCaller(pid: number | undefined): void {
    this.#pids.caller = pid;
  }

  /** Opens the window. */
  begin(): void {
    this.#t0 = performance.now();
    this.#start = this.#sample();
    this.#drops0 = this.#drops();
  }

  /** Closes the window: CPU in it, drops in it and drops since each socket opened. */
  end(): { cpu: LoadCpu; windowDrops: UdpDrops; drops: UdpDrops } {
    const wall = performance.now() - this.#t0;
    const [peer, uas, caller, loadIdle, serverIdle] = this.#sample().map(
      (v, i) => ((v - (this.#start[i] ?? NaN)) / wall) * 100,
    );
    const core = 100 - loadIdle!;
    const serverCore = 100 - serverIdle!;
    const [sd, ud, pd] = this.#drops();
    const [sd0, ud0, pd0] = this.#drops0;
    return {
      cpu: {
        peerPct: peer ?? NaN,
        uasPct: uas ?? NaN,
        callerPct: caller ?? NaN,
        corePct: core,
        serverCorePct: serverCore,
      },
      windowDrops: { server: sd! - sd0!, uas: ud! - ud0!, peer: pd! - pd0! },
      drops: { server: sd!, uas: ud!, peer: pd! },
    };
  }

  #sample(): number[] {
    const ms = (pid: number | undefined): number => (pid === undefined ? NaN : cpuMsOf(pid));
    const uas = this.#pids.uas.length === 0 ? NaN : this.#pids.uas.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
    return [
      ms(this.#pids.peer),
      uas,
      ms(this.#pids.caller),
      coreIdleMs(this.#cores.load),
      coreIdleMs(this.#cores.server),
    ];
  }

  #drops(): number[] {
    const sum = (pids: readonly number[]): number =>
      pids.length === 0 ? NaN : udpDrops(pids).reduce((a, b) => a + b, 0);
    return [sum(this.#pids.server()), sum(this.#pids.uas), udpDrops([this.#pids.peer])[0]!];
  }
}
