/** The server's handle on the load process (bench/webrtc/load.ts): spawns it and sends it requests. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LoadRequest, OpenAnswer, PhoneSpec, RunAnswer, RunMode } from './protocol.ts';

const here = dirname(fileURLToPath(import.meta.url));

export class LoadClient {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: ((line: string) => void)[] = [];

  constructor() {
    this.#child = spawn(process.execPath, ['--import', 'tsx', join(here, 'load.ts')], { stdio: 'pipe' });
    this.#child.stderr.pipe(process.stderr);
    createInterface({ input: this.#child.stdout }).on('line', (line) => this.#waiting.shift()?.(line));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  open(phones: PhoneSpec[]): Promise<OpenAnswer> {
    return this.#request({ op: 'open', phones });
  }

  connect(remotes: { answerSdp?: string; port?: number }[]): Promise<{ ok: true }> {
    return this.#request({ op: 'connect', remotes });
  }

  run(roles: ('send' | 'echo')[], mode: RunMode, durationMs: number, warmupMs: number): Promise<RunAnswer> {
    return this.#request({ op: 'run', roles, mode, durationMs, warmupMs });
  }

  close(): Promise<{ ok: true }> {
    return this.#request({ op: 'close' });
  }

  /** Ends the process (it closes its phones first). */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  }

  #request<T>(req: LoadRequest): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (): void => reject(new Error(`load process exited before answering "${req.op}"`));
      this.#child.once('exit', onExit);
      this.#waiting.push((line) => {
        this.#child.off('exit', onExit);
        const answer = JSON.parse(line) as T & { error?: string };
        if (answer.error !== undefined) reject(new Error(`load process: ${answer.error}`));
        else resolve(answer);
      });
      this.#child.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }
}
