import { execFileSync } from 'node:child_process';
import { cpuMsOf, processTree } from '../calls/proc-stats.ts';
import type { CpuPin } from '../calls/sipp-run.ts';

/** One named share of the servers' CPU: the processes it counts, found anew at every sample. */
export interface CpuPart {
  name: string;
  pids(): number[] | Promise<number[]>;
}

/** The processes of `rootPids` and their descendants (Kamailio's workers, tsx's helper). */
export function treePart(name: string, rootPids: readonly number[]): CpuPart {
  return { name, pids: () => [...new Set(rootPids.flatMap(processTree))] };
}

/**
 * CPU time (utime + stime from /proc, docs/benchmarks.md "Calls") per named part. Each process's
 * last value is kept, so a process that exits between two samples (a PostgreSQL backend whose
 * connection closed) still counts up to its last sample; {@link measure} samples every 250 ms.
 * Every process seen is pinned to `pin` (all its threads, `taskset -a -p`), so servers started
 * elsewhere (Kamailio's workers, PostgreSQL backends of the run's database) run on the server core.
 */
export class PartsProbe {
  readonly #parts: readonly CpuPart[];
  readonly #pin: CpuPin;
  readonly #last = new Map<string, Map<number, number>>();
  readonly #pinned = new Set<number>();

  constructor(parts: readonly CpuPart[], pin: CpuPin) {
    this.#parts = parts;
    this.#pin = pin;
    for (const p of parts) this.#last.set(p.name, new Map());
  }

  /** The parts' names, in order. */
  names(): string[] {
    return this.#parts.map((p) => p.name);
  }

  /** Reads every part's processes now (and pins the new ones). */
  async sample(): Promise<void> {
    for (const part of this.#parts) {
      const seen = this.#last.get(part.name)!;
      for (const pid of await part.pids()) {
        this.#pinOnce(pid);
        const ms = cpuMsOf(pid);
        // 0 = gone since the listing: keep the last value.
        if (ms > 0 || !seen.has(pid)) seen.set(pid, Math.max(ms, seen.get(pid) ?? 0));
      }
    }
  }

  /** CPU ms so far per part (as of the last sample). */
  totals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, seen] of this.#last) out[name] = [...seen.values()].reduce((a, b) => a + b, 0);
    return out;
  }

  /** Runs `work`, sampling meanwhile; returns its result, the CPU ms per part it cost and the wall time. */
  async measure<T>(work: () => Promise<T>): Promise<{ result: T; cpuMs: Record<string, number>; wallMs: number }> {
    await this.sample();
    const before = this.totals();
    const t0 = performance.now();
    let sampling = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(() => this.sample()).catch(() => undefined);
    }, 250);
    try {
      const result = await work();
      const wallMs = performance.now() - t0;
      clearInterval(timer);
      await sampling;
      await this.sample();
      const after = this.totals();
      const cpuMs: Record<string, number> = {};
      for (const name of this.names()) cpuMs[name] = (after[name] ?? 0) - (before[name] ?? 0);
      return { result, cpuMs, wallMs };
    } finally {
      clearInterval(timer);
    }
  }

  #pinOnce(pid: number): void {
    if (this.#pin === undefined || this.#pinned.has(pid)) return;
    this.#pinned.add(pid);
    try {
      execFileSync('taskset', ['-a', '-p', '-c', this.#pin, String(pid)], { stdio: 'ignore' });
    } catch {
      // Gone already, or not ours to pin: it is still counted.
    }
  }
}
