import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The outcome of one sipp run. */
export interface SippResult {
  /** sipp's exit status (0: every call succeeded), or null when it was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runSipp}. */
export interface RunSippOptions {
  /** Kill sipp (SIGKILL) after this long; the result then has `code: null`. Default 30 s. */
  timeoutMs?: number;
}

/**
 * Run the `sipp` binary with `args` (add `-m <calls>` and `-nostdin`) in a fresh temporary
 * working directory, so that its log files never land in the repository.
 */
export async function runSipp(args: readonly string[], options: RunSippOptions = {}): Promise<SippResult> {
  const cwd = await mkdtemp(join(tmpdir(), 'callbin-sipp-'));
  try {
    return await new Promise<SippResult>((resolve, reject) => {
      const child = spawn('sipp', [...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

/** A port that was free on 127.0.0.1 a moment ago (bind port 0, read it back, release it). */
/**
 * A base port for sipp's `-mp`: sipp binds audio RTP on it and video RTP two above (RTCP on the odd
 * ports), so all four must be free. Picked at random in 40000-59999, away from the RTP ranges the
 * test callbins use (20000-39999), and checked by binding the four ports before they are handed over.
 */
export async function freeMediaPort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const base = 40_000 + 2 * Math.floor(Math.random() * 9_998);
    const sockets = [0, 1, 2, 3].map(() => createSocket('udp4'));
    const bound = await Promise.all(
      sockets.map(
        (socket, i) =>
          new Promise<boolean>((resolve) => {
            socket.once('error', () => resolve(false));
            socket.bind(base + i, '127.0.0.1', () => resolve(true));
          }),
      ),
    );
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            try {
              socket.close(() => resolve());
            } catch {
              resolve();
            }
          }),
      ),
    );
    if (bound.every(Boolean)) return base;
    if (attempt > 50) throw new Error('no four consecutive free UDP ports for sipp media');
  }
}

export function freePort(kind: 'udp' | 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        const { port } = socket.address();
        socket.close(() => resolve(port));
      });
    });
  }
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
