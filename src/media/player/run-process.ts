import { spawn as nodeSpawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { AppError, systemClock } from '../../shared/index.ts';
import type { Clock, ErrorCode } from '../../shared/index.ts';

/** The subset of `child_process.spawn` used here; injectable to count or fake processes. */
export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** Error codes a caller wants for each way a process run can fail. */
export interface ProcessErrorCodes {
  failed: ErrorCode;
  timeout: ErrorCode;
  tooLarge: ErrorCode;
  aborted: ErrorCode;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  command: string;
  args: readonly string[];
  /** Bytes written to the process's stdin, which is then closed. */
  stdin?: Uint8Array | string;
  timeoutMs: number;
  maxOutputBytes: number;
  codes: ProcessErrorCodes;
  spawn?: SpawnFn;
  clock?: Clock;
  signal?: AbortSignal;
}

/** The stdout of a process that exited with status 0. */
export interface ProcessOutput {
  stdout: Buffer;
  stderr: string;
}

const MAX_STDERR_CHARS = 2000;

/**
 * Runs a command-line tool as a separate process with stdin input, a time limit, an output
 * size limit and abort support; the process is killed whenever the run does not complete.
 */
export function runProcess(opts: RunProcessOptions): Promise<ProcessOutput> {
  const clock = opts.clock ?? systemClock;
  return new Promise<ProcessOutput>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new AppError(opts.codes.aborted, `${opts.command} aborted`, { cause: opts.signal.reason }));
      return;
    }
    const child = (opts.spawn ?? nodeSpawn)(opts.command, opts.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let settled = false;
    const finish = (err: AppError | undefined): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else {
        resolve({ stdout: Buffer.concat(chunks, size), stderr });
      }
    };
    const onAbort = (): void =>
      finish(new AppError(opts.codes.aborted, `${opts.command} aborted`, { cause: opts.signal?.reason }));
    const timer = clock.setTimeout(
      () => finish(new AppError(opts.codes.timeout, `${opts.command} did not finish within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) =>
      finish(new AppError(opts.codes.failed, `cannot run ${opts.command}: ${err.message}`, { cause: err })),
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > opts.maxOutputBytes)
        finish(new AppError(opts.codes.tooLarge, `${opts.command} output exceeds ${opts.maxOutputBytes} bytes`));
      else chunks.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_CHARS) stderr += chunk.toString('utf8');
    });
    child.on('close', (code, sig) => {
      if (code === 0) finish(undefined);
      else
        finish(
          new AppError(opts.codes.failed, `${opts.command} exited with ${code ?? sig}: ${stderr.trim().slice(0, 300)}`),
        );
    });
    // The tool may exit before reading all its input (bad data): EPIPE here is reported by 'close'.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.stdin ?? '');
  });
}
