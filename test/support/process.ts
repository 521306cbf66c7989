import { spawn, type ChildProcess } from 'node:child_process';

/** A callbin (or other) child process whose output is collected. */
export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  /** Resolve when the output matches `re` (rejects on exit or after `timeoutMs`). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawn a process and collect stdout+stderr. */
export function startProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv): RunningProcess {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of [...listeners]) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      for (const l of [...listeners]) l();
      resolve(code);
    }),
  );
  return {
    child,
    output: () => out,
    waitFor: (re, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m) {
            done();
            resolve(m);
          } else if (child.exitCode !== null) {
            done();
            reject(new Error(`process exited (${child.exitCode}) before ${re}: ${out}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${re}: ${out}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Spawn `callbin start` from this checkout with the given environment. */
export function startCallbinProcess(env: Record<string, string>): RunningProcess {
  return startProcess(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
    ...process.env,
    CALLBIN_LOG_LEVEL: 'warn',
    ...env,
  });
}
