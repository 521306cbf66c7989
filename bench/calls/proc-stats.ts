import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSec: number | undefined;

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 on Linux x86). */
export function clockTicksPerSec(): number {
  if (ticksPerSec === undefined) {
    try {
      ticksPerSec = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSec = 100;
    }
  }
  return ticksPerSec;
}

/** Fields of `/proc/<pid>/stat` after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `pid` and every live descendant (Kamailio forks its workers; their CPU counts too). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(Number(name));
    // Field 4 of stat is the parent pid; index 1 once state (field 3) is index 0.
    const ppid = fields ? Number(fields[1]) : NaN;
    if (!Number.isFinite(ppid)) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** CPU time (user + system, all threads) of one process in milliseconds; 0 once it is gone. */
export function cpuMsOf(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  // utime and stime are fields 14 and 15 of stat (indexes 11 and 12 here).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSec();
}

/** Resident set size of one process in bytes (VmRSS), 0 once it is gone. */
export function rssBytesOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU and memory of a set of server processes (with their descendants), read from /proc. */
export class ServerProbe {
  readonly #rootPids: readonly number[];

  /** Watches `rootPids` and their descendants. */
  constructor(rootPids: readonly number[]) {
    this.#rootPids = rootPids;
  }

  /** Every pid counted now. */
  pids(): number[] {
    return [...new Set(this.#rootPids.flatMap(processTree))];
  }

  /** Total CPU ms so far of every counted process. */
  cpuMs(): number {
    return this.pids().reduce((sum, pid) => sum + cpuMsOf(pid), 0);
  }

  /** Total RSS in bytes of every counted process. */
  rssBytes(): number {
    return this.pids().reduce((sum, pid) => sum + rssBytesOf(pid), 0);
  }

  /** Runs `work` and returns its result with the server CPU ms it cost and the wall time. */
  async measure<T>(
    work: () => Promise<T>,
  ): Promise<{ result: T; cpuMs: number; wallMs: number; peakRssBytes: number }> {
    const cpu0 = this.cpuMs();
    const t0 = performance.now();
    let peakRssBytes = this.rssBytes();
    const timer = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, this.rssBytes())), 500);
    try {
      const result = await work();
      return { result, cpuMs: this.cpuMs() - cpu0, wallMs: performance.now() - t0, peakRssBytes };
    } finally {
      clearInterval(timer);
    }
  }
}
