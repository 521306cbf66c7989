/**
 * A side program of the media streams benchmark (the callers, the bot) run as a child process on
 * the load core: JSON requests on its stdin, one JSON answer line per request on its stdout, in order.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CpuPin } from '../calls/sipp-run.ts';

/** A running side program. */
export class LineChild {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: { resolve: (v: any) => void; reject: (e: Error) => void }[] = [];
  readonly #exited: Promise<void>;
  readonly #name: string;

  private constructor(child: ChildProcessWithoutNullStreams, name: string) {
    this.#child = child;
    this.#name = name;
    child.stderr.pipe(process.stderr);
    child.stdin.on('error', () => undefined);
    this.#exited = new Promise((resolve) =>
      child.once('close', () => {
        for (const w of this.#waiting.splice(0)) w.reject(new Error(`${name} exited`));
        resolve();
      }),
    );
    createInterface({ input: child.stdout }).on('line', (line) => {
      const w = this.#waiting.shift();
      if (!w) return;
      try {
        const answer = JSON.parse(line);
        if (answer && typeof answer.error === 'string') w.reject(new Error(`${name}: ${answer.error}`));
        else w.resolve(answer);
      } catch {
        w.reject(new Error(`${name}: not JSON: ${line.slice(0, 200)}`));
      }
    });
  }

  /** Starts `node --import tsx <script> ...args`, pinned with taskset when `pin` is set. */
  static start(script: string, args: readonly string[], pin: CpuPin, name: string): LineChild {
    const node = [process.execPath, '--import', 'tsx', script, ...args];
    const argv = pin === undefined ? node : ['taskset', '-c', pin, ...node];
    return new LineChild(spawn(argv[0]!, argv.slice(1), { stdio: 'pipe' }), name);
  }

  /** Its pid (taskset execs the program, so the pid is the program's own). */
  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** Sends one request and resolves with its answer (rejects on an `{error}` answer or an exit). */
  request<T>(message: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
        reject(new Error(`${this.#name} is not running`));
        return;
      }
      this.#waiting.push({ resolve, reject });
      this.#child.stdin.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** Asks it to finish, then ends it (SIGKILL after 3 s). */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.stdin.end();
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3000);
      await this.#exited;
      clearTimeout(timer);
    }
  }
}

/**
 * The child side: answers each JSON request line of stdin with `handle`'s result (or `{error}`), one
 * at a time and in order; exits when stdin closes, after `onClose`.
 */
export function serveRequests(
  handle: (message: Record<string, any>) => unknown,
  onClose: () => Promise<void> | void,
): void {
  let queue = Promise.resolve();
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    queue = queue.then(async () => {
      let answer: unknown;
      try {
        answer = await handle(JSON.parse(line));
      } catch (err) {
        answer = { error: err instanceof Error ? err.message : String(err) };
      }
      process.stdout.write(`${JSON.stringify(answer ?? {})}\n`);
    });
  });
  rl.on('close', () => {
    void queue.then(onClose).finally(() => process.exit(0));
  });
}
