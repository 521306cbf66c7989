import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './sipp.ts';

/** One ctrl_tcp event of baresip (`{"event":true,"type":"REGISTER_OK",…}`). */
export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  param?: string;
  [key: string]: unknown;
}

/** Options of {@link startBaresip}. */
export interface BaresipOptions {
  /** Lines of the `accounts` file, e.g. `<sip:alice@127.0.0.1:5060>;auth_pass=x;regint=60`. */
  accounts: string[];
  /** Further `config` lines (audio source, snd_path…). */
  extraConfig?: string[];
  /** Further modules to load (`sndfile.so`). */
  modules?: string[];
  /** How long to wait for the control socket (default 10 s). */
  startTimeoutMs?: number;
  /**
   * Runs baresip under `strace` recording every datagram it receives, for {@link Baresip.received}:
   * what reached the phone when its sndfile recording cannot tell. baresip 1.0 resets its receive
   * side on a re-INVITE that leaves the stream other than sendrecv (hold): `audio_decoder_set`
   * flushes the decode filters (sndfile closes its `*-dec.wav`) and `aufilt_setup` never rebuilds
   * them while the encode filters exist, so the phone records nothing it hears after a hold.
   */
  traceReceived?: boolean;
}

/** A running scripted baresip with its own folder, SIP port and ctrl_tcp control connection. */
export interface Baresip {
  dir: string;
  sipPort: number;
  /** Everything baresip printed. */
  output(): string;
  /** Every ctrl_tcp event so far. */
  readonly events: readonly BaresipEvent[];
  /**
   * Resolve with the first event (past or future) matching `pick`; rejects after `timeoutMs` or on
   * exit. Events raised before the control connection opened (the first REGISTER) are not seen:
   * use {@link Baresip.waitForOutput} for those.
   */
  waitForEvent(pick: (e: BaresipEvent) => boolean, timeoutMs?: number): Promise<BaresipEvent>;
  /** Resolve when the printed output matches `re` (rejects after `timeoutMs` or on exit). */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Every datagram (SIP and RTP) the phone received so far, oldest first; needs `traceReceived`. */
  received(): Promise<Uint8Array[]>;
  /** Send a ctrl_tcp command; resolves with its response's `data`. */
  command(command: string, params?: string): Promise<string>;
  /** Quit cleanly (baresip un-registers), kill after `graceMs`, remove the folder. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Netstring framing of ctrl_tcp (`<len>:<json>,`). */
function* netstrings(state: { buf: Buffer }): Generator<string> {
  for (;;) {
    const colon = state.buf.indexOf(0x3a);
    if (colon < 0) return;
    const len = Number(state.buf.subarray(0, colon).toString());
    if (state.buf.length < colon + 1 + len + 1) return;
    yield state.buf.subarray(colon + 1, colon + 1 + len).toString();
    state.buf = state.buf.subarray(colon + 1 + len + 1);
  }
}

function configText(sipPort: number, ctrlPort: number, opts: BaresipOptions): string {
  const modules = ['g711.so', 'ausine.so', ...(opts.modules ?? [])];
  return [
    'poll_method epoll',
    `sip_listen 127.0.0.1:${sipPort}`,
    'net_interface 127.0.0.1',
    'audio_player aufile,/dev/null',
    'audio_source ausine,440',
    'module_path /usr/lib/baresip/modules',
    ...modules.map((m) => `module ${m}`),
    'module_tmp uuid.so',
    'module_tmp account.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
    ...(opts.extraConfig ?? []),
    '',
  ].join('\n');
}

async function connectWithRetry(
  port: number,
  child: ChildProcess,
  timeoutMs: number,
  out: () => string,
): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`baresip exited (${child.exitCode}) before its control socket opened:\n${out()}`);
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    } catch {
      if (Date.now() > deadline) throw new Error(`baresip control socket 127.0.0.1:${port} never opened:\n${out()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A start that failed because a port picked as free was taken meanwhile; worth another try. */
class PortTakenError extends Error {}

/**
 * Start baresip in a fresh temporary folder (`config` + `accounts`, HOME pointed at it) listening
 * for SIP on a free loopback port, and connect to its ctrl_tcp socket. Throws a clear error when
 * the baresip binary is missing.
 */
export async function startBaresip(opts: BaresipOptions): Promise<Baresip> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(opts);
    } catch (err) {
      // Ports are probed free, then released before baresip binds them; another test may win the race.
      if (!(err instanceof PortTakenError) || attempt >= 3) throw err;
    }
  }
}

async function launch(opts: BaresipOptions): Promise<Baresip> {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-baresip-'));
  const sipPort = await freePort('udp');
  const ctrlPort = await freePort('tcp');
  await writeFile(join(dir, 'config'), configText(sipPort, ctrlPort, opts));
  await writeFile(join(dir, 'accounts'), opts.accounts.join('\n') + '\n');
  const trace = opts.traceReceived ? join(dir, 'received.trace') : undefined;
  // strace only stops baresip on recvfrom (seccomp filter) and writes each received buffer in hex.
  const command = trace
    ? [
        'strace',
        '-f',
        '-qq',
        '--seccomp-bpf',
        '-e',
        'trace=recvfrom',
        '-e',
        'signal=none',
        '-xx',
        '-s',
        '4096',
        '-o',
        trace,
        'baresip',
        '-f',
        dir,
      ]
    : ['baresip', '-f', dir];
  const child = spawn(command[0] as string, command.slice(1), {
    env: { ...process.env, HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const phone = new BaresipProcess(dir, sipPort, child, trace);
  const spawnError = new Promise<never>((_r, reject) =>
    child.once('error', (err) => reject(new Error(`cannot run ${command[0]} (is it installed?): ${err.message}`))),
  );
  try {
    phone.attach(
      await Promise.race([
        connectWithRetry(ctrlPort, child, opts.startTimeoutMs ?? 10_000, () => phone.output()),
        spawnError,
      ]),
    );
  } catch (err) {
    killTree(child);
    await rm(dir, { recursive: true, force: true });
    if (/Address already in use/.test(phone.output())) throw new PortTakenError(String(err));
    throw err;
  }
  return phone;
}

/** Kills a child and its own children (under strace, baresip is strace's child and would outlive it). */
function killTree(child: ChildProcess): void {
  const pid = child.pid;
  if (pid !== undefined) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean))
        process.kill(Number(c), 'SIGKILL');
    } catch {
      // Already gone, or no /proc: the child alone is killed.
    }
  }
  child.kill('SIGKILL');
}

/** One baresip child process with its output, ctrl_tcp events and pending commands. */
class BaresipProcess implements Baresip {
  readonly dir: string;
  readonly sipPort: number;
  readonly events: BaresipEvent[] = [];
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #wake = new Set<() => void>();
  readonly #pending = new Map<string, (data: string) => void>();
  #out = '';
  #socket: Socket | undefined;
  #tokens = 0;
  #stopping: Promise<void> | undefined;
  readonly #trace: string | undefined;

  constructor(dir: string, sipPort: number, child: ChildProcess, trace?: string) {
    this.dir = dir;
    this.sipPort = sipPort;
    this.#child = child;
    this.#trace = trace;
    const onOutput = (d: Buffer): void => {
      this.#out += d.toString();
      this.#notify();
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    this.#exited = new Promise<void>((resolve) =>
      child.once('close', () => {
        this.#notify();
        resolve();
      }),
    );
  }

  /** Take the connected control socket. */
  attach(socket: Socket): void {
    this.#socket = socket;
    const state = { buf: Buffer.alloc(0) };
    socket.on('data', (d: Buffer) => {
      state.buf = Buffer.concat([state.buf, d]);
      for (const text of netstrings(state)) {
        const msg = JSON.parse(text) as Record<string, unknown>;
        if (msg.event === true) this.events.push(msg as unknown as BaresipEvent);
        if (msg.response === true && typeof msg.token === 'string')
          this.#pending.get(msg.token)?.(String(msg.data ?? ''));
      }
      this.#notify();
    });
    // The socket dies with baresip; its end is seen through the process exit.
    socket.on('error', () => {});
  }

  output(): string {
    return this.#out;
  }

  async received(): Promise<Uint8Array[]> {
    if (!this.#trace) throw new Error('baresip was started without traceReceived');
    const text = await readFile(this.#trace, 'latin1').catch(() => '');
    const out: Uint8Array[] = [];
    for (const m of text.matchAll(/recvfrom\(\d+, "((?:\\x[0-9a-f]{2})*)", \d+,[^\n]*\) = (\d+)\n/g)) {
      const hex = (m[1] as string).replaceAll('\\x', '');
      if (hex.length === 2 * Number(m[2])) out.push(Buffer.from(hex, 'hex'));
    }
    return out;
  }

  waitForEvent(pick: (e: BaresipEvent) => boolean, timeoutMs = 15_000): Promise<BaresipEvent> {
    return this.#waitUntil(
      () => this.events.find(pick),
      timeoutMs,
      () => `baresip event; events: ${JSON.stringify(this.events)}`,
    );
  }

  waitForOutput(re: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    return this.#waitUntil(
      () => this.#out.match(re) ?? undefined,
      timeoutMs,
      () => String(re),
    );
  }

  command(command: string, params = ''): Promise<string> {
    return new Promise((resolve) => {
      const token = String(++this.#tokens);
      this.#pending.set(token, (data) => {
        this.#pending.delete(token);
        resolve(data);
      });
      this.#send(command, params, token);
    });
  }

  stop(graceMs = 5_000): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#running()) {
        this.#send('quit', '', 'quit');
        const timer = setTimeout(() => killTree(this.#child), graceMs);
        await this.#exited;
        clearTimeout(timer);
      }
      this.#socket?.destroy();
      await rm(this.dir, { recursive: true, force: true });
    })();
    return this.#stopping;
  }

  #running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  #send(command: string, params: string, token: string): void {
    const json = JSON.stringify({ command, params, token });
    this.#socket?.write(`${Buffer.byteLength(json)}:${json},`);
  }

  #notify(): void {
    for (const w of [...this.#wake]) w();
  }

  #waitUntil<T>(find: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = find();
        if (found !== undefined) finish(() => resolve(found));
        else if (!this.#running()) finish(() => reject(new Error(`baresip exited before ${what()}:\n${this.#out}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no ${what()} within ${timeoutMs} ms:\n${this.#out}`))),
        timeoutMs,
      );
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        this.#wake.delete(check);
        f();
      };
      this.#wake.add(check);
      check();
    });
  }
}
