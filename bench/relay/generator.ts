/**
 * The relay benchmark's load generator, run as a child process: the small C program in rtp-gen.c
 * (compiled here with the system's cc into the ignored .tmp/ folder) or, when no cc is found or
 * RTP_GEN=node is set, node-generator.ts. Both speak the same line protocol (see rtp-gen.c) and
 * pace sends the same way.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildCProgram } from '../c-program.ts';

/** Figures the generator reports for one run. */
export interface GeneratorResult {
  sent: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU of the generator process over the run, in % of one core. */
  cpuPct: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Compiles rtp-gen.c (see bench/c-program.ts); undefined (with the reason) without a cc or when RTP_GEN=node. */
export function buildCGenerator(): { path?: string; reason?: string } {
  if (process.env.RTP_GEN === 'node') return { reason: 'RTP_GEN=node' };
  return buildCProgram(join(here, 'rtp-gen.c'), 'bench-relay', 'rtp-gen');
}

/** A running generator process. */
export class LoadGenerator {
  readonly kind: 'c' | 'node';
  /** Why the Node generator is used, when it is. */
  readonly fallbackReason: string | undefined;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: ((line: string) => void)[] = [];

  private constructor(child: ChildProcessWithoutNullStreams, kind: 'c' | 'node', fallbackReason?: string) {
    this.#child = child;
    this.kind = kind;
    this.fallbackReason = fallbackReason;
    child.stderr.pipe(process.stderr);
    createInterface({ input: child.stdout }).on('line', (line) => this.#waiting.shift()?.(line));
  }

  /** Starts the C generator, or the Node one when it cannot be built or `kind` asks for it. */
  static start(kind: 'auto' | 'node' = 'auto'): LoadGenerator {
    const built = kind === 'node' ? { reason: 'asked for' } : buildCGenerator();
    if (built.path) return new LoadGenerator(spawn(built.path, [], { stdio: 'pipe' }), 'c');
    const script = join(here, 'node-generator.ts');
    return new LoadGenerator(
      spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'pipe' }),
      'node',
      built.reason,
    );
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Binds two phones per call; returns their ports, [a, b] per call. */
  async open(calls: number): Promise<[number, number][]> {
    const line = await this.#request(`open ${calls}`);
    if (!line.startsWith('ports')) throw new Error(`generator: ${line}`);
    const ports = line.split(' ').slice(1).map(Number);
    const pairs: [number, number][] = [];
    for (let i = 0; i + 1 < ports.length; i += 2) pairs.push([ports[i] as number, ports[i + 1] as number]);
    return pairs;
  }

  /** Sends from every phone to its target for `durationMs` (plus 300 ms to drain) and reports. */
  async run(targets: [number, number][], durationMs: number): Promise<GeneratorResult> {
    const line = await this.#request(`run ${durationMs} ${targets.flat().join(' ')}`);
    const [tag, sent, received, p50, p99, max, cpu, wall] = line.split(' ');
    if (tag !== 'result') throw new Error(`generator: ${line}`);
    return {
      sent: Number(sent),
      received: Number(received),
      p50Ms: Number(p50) / 1000,
      p99Ms: Number(p99) / 1000,
      maxMs: Number(max) / 1000,
      cpuPct: (100 * Number(cpu)) / Math.max(1, Number(wall)),
    };
  }

  /** Closes the phones. */
  async close(): Promise<void> {
    await this.#request('close');
  }

  /** Ends the process. */
  kill(): void {
    this.#child.stdin.end();
    this.#child.kill();
  }

  #request(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const onExit = (): void => reject(new Error(`generator exited before answering "${line.slice(0, 20)}"`));
      this.#child.once('exit', onExit);
      this.#waiting.push((answer) => {
        this.#child.off('exit', onExit);
        resolve(answer);
      });
      this.#child.stdin.write(`${line}\n`);
    });
  }
}
