// Starts the pieces of a callbin cluster on one machine: callbin nodes as child processes and
// Kamailio as their SIP edge from deploy/kamailio/ (deploy/kamailio/README.md). Used by
// `npm run cluster:local` and by the cluster tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The repository root (the nodes run `src/cli/main.ts` from it). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const KAMAILIO_DIR = join(REPO_ROOT, 'deploy', 'kamailio');

/** A child process whose output lines are kept, with a way to wait for a line. */
export interface ChildHandle {
  pid: number;
  /** The lines printed so far (the last {@link KEPT_LINES}), stdout and stderr interleaved. */
  lines: string[];
  /** Calls `fn` with every line printed from now on. */
  follow(fn: (line: string) => void): void;
  /** Resolves with the first line matching `re` (rejects when the process exits first, or after `timeoutMs`). */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  waitExit(): Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** How many output lines a {@link ChildHandle} keeps. */
export const KEPT_LINES = 10_000;

/**
 * Spawns `cmd` with its output collected line by line; `detached` puts it in a process group of its
 * own, so a Ctrl-C at the terminal reaches only the parent, which then stops it.
 */
export function spawnChild(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  o: { cwd?: string; detached?: boolean } = {},
): ChildHandle {
  const child: ChildProcess = spawn(cmd, [...args], {
    env,
    cwd: o.cwd ?? REPO_ROOT,
    detached: o.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const followers: ((line: string) => void)[] = [];
  const partial = { stdout: '', stderr: '' };
  const take = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const parts = (partial[stream] + chunk.toString()).split('\n');
    partial[stream] = parts.pop() ?? '';
    lines.push(...parts);
    if (lines.length > KEPT_LINES) lines.splice(0, lines.length - KEPT_LINES);
    for (const part of parts) for (const f of followers) f(part);
    for (const l of [...listeners]) l();
  };
  child.stdout?.on('data', take('stdout'));
  child.stderr?.on('data', take('stderr'));
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (err) => {
      lines.push(String(err));
      resolve(-1);
    });
    child.once('exit', (code, signal) => {
      for (const stream of ['stdout', 'stderr'] as const) if (partial[stream] !== '') lines.push(partial[stream]);
      for (const l of [...listeners]) l();
      resolve(code ?? signal ?? -1);
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));
  const handle: ChildHandle = {
    pid: child.pid ?? -1,
    lines,
    follow: (fn) => void followers.push(fn),
    waitForLine: (re, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          for (const line of lines) {
            const m = line.match(re);
            if (m) return finish(() => resolve(m));
          }
          if (gone) finish(() => reject(new Error(`${cmd} exited before printing ${re}:\n${lines.join('\n')}`)));
        };
        const timer = setTimeout(
          () =>
            finish(() => reject(new Error(`${cmd} did not print ${re} within ${timeoutMs} ms:\n${lines.join('\n')}`))),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        void exited.then(check);
        check();
      }),
    kill: (signal = 'SIGTERM') => {
      if (!gone) child.kill(signal);
    },
    waitExit: () => exited,
    stop: async (graceMs = 10_000) => {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return handle;
}

/** A UDP port that was free on `host` a moment ago. */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Resolves once something holds UDP `port` on `host` (a bind there fails), or rejects after `timeoutMs`. */
export async function waitForUdpBound(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const taken = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(true));
      socket.bind(port, host, () => socket.close(() => resolve(false)));
    });
    if (taken) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing bound UDP ${host}:${port} within ${timeoutMs} ms`);
}

/** A random admin key in the shape CALLBIN_ADMIN_KEY takes. */
export function newAdminKey(): string {
  return `vb_${randomBytes(24).toString('base64url')}`;
}

/** `url` with its database name replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates the database `url` names unless it exists (connecting to the server's `postgres` database). */
export async function ensureDatabase(url: string): Promise<void> {
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[A-Za-z0-9_]{1,63}$/.test(database)) throw new Error(`database name "${database}" must be [A-Za-z0-9_]`);
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await admin.query(`create database "${database}"`);
  } finally {
    await admin.end();
  }
}

/** Drops the database `url` names, disconnecting its sessions. */
export async function dropDatabase(url: string): Promise<void> {
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${database}" with (force)`);
  } finally {
    await admin.end();
  }
}

/** Options of one callbin node process. */
export interface NodeOptions {
  nodeId: string;
  databaseUrl: string;
  natsUrl: string;
  adminKey: string;
  /** 0 = any free port (read back from the banner). */
  httpPort?: number;
  sipPort?: number;
  rtpPortMin: number;
  rtpPortMax: number;
  logLevel?: string;
  /** More CALLBIN_* settings. */
  env?: Record<string, string>;
  /** A data directory to use and keep; without it a temporary one is removed at exit. */
  dataDir?: string;
  /** In a process group of its own (see {@link spawnChild}). */
  detached?: boolean;
}

/** A running callbin node. */
export interface NodeProcess extends ChildHandle {
  nodeId: string;
  apiUrl: string;
  sipPort: number;
  dataDir: string;
}

/** Starts `callbin start` as a child process with its own data directory; resolves once it prints its addresses. */
export async function startNode(o: NodeOptions): Promise<NodeProcess> {
  const dataDir = o.dataDir ?? (await mkdtemp(join(tmpdir(), `callbin-${o.nodeId}-`)));
  const child = spawnChild(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'start'],
    {
      ...process.env,
      CALLBIN_DATA_DIR: dataDir,
      CALLBIN_DATABASE_URL: o.databaseUrl,
      CALLBIN_NATS_URL: o.natsUrl,
      CALLBIN_NODE_ID: o.nodeId,
      CALLBIN_ADMIN_KEY: o.adminKey,
      CALLBIN_HTTP_HOST: '127.0.0.1',
      CALLBIN_HTTP_PORT: String(o.httpPort ?? 0),
      CALLBIN_SIP_HOST: '127.0.0.1',
      CALLBIN_SIP_PORT: String(o.sipPort ?? 0),
      CALLBIN_RTP_PORT_MIN: String(o.rtpPortMin),
      CALLBIN_RTP_PORT_MAX: String(o.rtpPortMax),
      CALLBIN_LOG_LEVEL: o.logLevel ?? 'warn',
      ...o.env,
    },
    { detached: o.detached ?? false },
  );
  if (o.dataDir === undefined) void child.waitExit().then(() => rm(dataDir, { recursive: true, force: true }));
  try {
    const api = await child.waitForLine(/API:\s+(http:\/\/\S+)\/v1\.0/, 60_000);
    const sip = await child.waitForLine(/SIP:\s+sip:\S+:(\d+)/, 5_000);
    return { ...child, nodeId: o.nodeId, apiUrl: api[1]!, sipPort: Number(sip[1]), dataDir };
  } catch (err) {
    await child.stop(2_000);
    throw err;
  }
}

/** The dispatcher.list of deploy/kamailio/kamailio.cfg: set 1 = the nodes' SIP addresses. */
export function dispatcherList(nodes: readonly { nodeId: string; host: string; sipPort: number }[]): string {
  const lines = nodes.map((n) => `1 sip:${n.host}:${n.sipPort} 0 0 duid=${n.nodeId}`);
  return `# setid destination flags priority attributes\n${lines.join('\n')}\n`;
}

/** deploy/kamailio/kamailio.cfg with its markers filled. */
export async function renderKamailioConfig(o: { host: string; port: number; listFile: string }): Promise<string> {
  const template = await readFile(join(KAMAILIO_DIR, 'kamailio.cfg'), 'utf8');
  return template
    .replaceAll('__EDGE_HOST__', o.host)
    .replaceAll('__EDGE_PORT__', String(o.port))
    .replaceAll('__DISPATCHER_LIST__', o.listFile);
}

/** A running Kamailio edge. */
export interface EdgeProcess extends ChildHandle {
  host: string;
  port: number;
  dir: string;
}

/**
 * Starts Kamailio in the foreground (`-DD -E`) from the template, in a temporary folder of its own
 * (config, dispatcher.list, pid and runtime files), on `port` or a free one (tried again on a new
 * port, up to three times, when another process takes it first).
 */
export async function startEdge(o: {
  host?: string;
  port?: number;
  nodes: readonly { nodeId: string; sipPort: number }[];
  nodeHost?: string;
  detached?: boolean;
}): Promise<EdgeProcess> {
  const host = o.host ?? '127.0.0.1';
  for (let attempt = 1; ; attempt++) {
    const port = o.port ?? (await freeUdpPort(host));
    const dir = await mkdtemp(join(tmpdir(), 'callbin-kamailio-'));
    const listFile = join(dir, 'dispatcher.list');
    await writeFile(listFile, dispatcherList(o.nodes.map((n) => ({ ...n, host: o.nodeHost ?? host }))));
    await writeFile(join(dir, 'kamailio.cfg'), await renderKamailioConfig({ host, port, listFile }));
    const args = ['-DD', '-E', '-f', join(dir, 'kamailio.cfg'), '-Y', dir, '-w', dir, '-P', join(dir, 'kamailio.pid')];
    const child = spawnChild('kamailio', [...args, '-m', '64', '-M', '8'], process.env, {
      cwd: dir,
      detached: o.detached ?? false,
    });
    void child.waitExit().then(() => rm(dir, { recursive: true, force: true }));
    let exited = false;
    void child.waitExit().then(() => (exited = true));
    try {
      await waitForUdpBound(host, port, 10_000);
      await new Promise((r) => setTimeout(r, 200));
      if (exited) throw new Error(`kamailio exited:\n${child.lines.join('\n')}`);
      return { ...child, host, port, dir };
    } catch (err) {
      await child.stop(2_000);
      if (attempt >= 3 || o.port !== undefined) throw err;
    }
  }
}
