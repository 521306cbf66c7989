/**
 * The callers' RTP peer as a child process on the load core: rtp-peer.c (compiled here with the
 * system's cc into the ignored .tmp/ folder, like the relay benchmark's generator) or, when no cc
 * is found or RTP_PEER=node is set, rtp-peer-node.ts. Both speak the line protocol of rtp-peer.c.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildCProgram as buildBenchProgram } from '../../c-program.ts';

/** Counts of the whole run or of the measuring window only. */
export interface PeerSpan {
  /** Echo: packets sent past each call's warm-up. */
  sent: number;
  /** Echo: own packets that came back past the warm-up. Listen: RTP packets that arrived. */
  received: number;
  /** Listen: packets the arrived sequence ranges span (received < expected: gaps). */
  expected: number;
  /** Echo: round trip of what came back, p50/p99/max (kernel receive timestamps in the C peer); NaN when nothing did. */
  rttMs: [number, number, number];
  /** Echo: packets back after {@link LATE_MS} or more (counted in `received` too). */
  late: number;
}

/** What the peer counted so far (see rtp-peer.c). */
export interface PeerCounts extends PeerSpan {
  /** Calls whose media was started. */
  started: number;
  /** Listen: packets the arrival times span, at one per 20 ms. */
  spanPackets: number;
  /** The latest a send slot was served after its time: the peer's own lateness. */
  maxSendLagMs: number;
  /** Echo: packets sent while the window was open; listen: arrived while it was open. */
  window: PeerSpan & {
    /** Listen: calls heard in the window. */
    calls: number;
    /** How long the window was open (listen: each call heard in it should bring one packet per 20 ms). */
    ms: number;
  };
}

/** A round trip this long or longer is as good as lost to a phone (its jitter buffer gave up). */
export const LATE_MS = 200;

const here = dirname(fileURLToPath(import.meta.url));

/** Compiles `<name>.c` of this folder (see bench/c-program.ts); undefined (with the reason) without a cc or when RTP_PEER=node. */
export function buildCProgram(name: 'rtp-peer' | 'rtp-echo'): { path?: string; reason?: string } {
  if (process.env.RTP_PEER === 'node') return { reason: 'RTP_PEER=node' };
  return buildBenchProgram(join(here, `${name}.c`), 'bench-calls', name);
}

/** A running peer process. */
export class PeerProcess {
  readonly kind: 'c' | 'node';
  /** Why the Node peer is used, when it is. */
  readonly fallbackReason: string | undefined;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: ((line: string) => void)[] = [];
  readonly #exited: Promise<void>;

  private constructor(child: ChildProcessWithoutNullStreams, kind: 'c' | 'node', fallbackReason?: string) {
    this.#child = child;
    this.kind = kind;
    this.fallbackReason = fallbackReason;
    this.#exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.stderr.pipe(process.stderr);
    // A failed stdin write (the peer died) surfaces as the pending request's rejection instead.
    child.stdin.on('error', () => undefined);
    createInterface({ input: child.stdout }).on('line', (line) => this.#waiting.shift()?.(line));
  }

  /** Starts the C peer (the Node one when it cannot be built or `kind` asks for it), pinned with taskset when `pin` is set. */
  static start(o: { pin?: string | undefined; kind?: 'auto' | 'node' } = {}): PeerProcess {
    const built = o.kind === 'node' ? { reason: 'asked for' } : buildCProgram('rtp-peer');
    const argv = built.path ? [built.path] : [process.execPath, '--import', 'tsx', join(here, 'rtp-peer-node.ts')];
    const pinned = o.pin === undefined ? argv : ['taskset', '-c', o.pin, ...argv];
    const child = spawn(pinned[0]!, pinned.slice(1), { stdio: 'pipe' });
    return built.path ? new PeerProcess(child, 'c') : new PeerProcess(child, 'node', built.reason);
  }

  /** The peer's pid (taskset execs it, so the pid is the peer's own). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Binds one socket per call; returns their ports in call order. */
  async open(calls: number, mode: 'echo' | 'listen', sendMs: number): Promise<number[]> {
    const line = await this.#request(`open ${calls} ${mode} ${Math.round(sendMs)}`);
    if (!line.startsWith('ports')) throw new Error(`rtp peer: ${line}`);
    return line.split(' ').slice(1).map(Number);
  }

  /** Starts call `index` sending to `address`:`port` (no answer). */
  start(index: number, address: string, port: number): void {
    this.#child.stdin.write(`start ${index} ${address} ${port}\n`);
  }

  /** Opens or closes the measuring window. */
  window(open: boolean): void {
    this.#child.stdin.write(`window ${open ? 'on' : 'off'}\n`);
  }

  /** The counts so far. */
  async counts(): Promise<PeerCounts> {
    const line = await this.#request('figures');
    const [tag, ...f] = line.split(' ');
    const n = f.map(Number);
    if (tag !== 'figures' || n.length < 19 || n.some((v) => !Number.isFinite(v))) throw new Error(`rtp peer: ${line}`);
    // -1: no round trip was measured.
    const ms = (i: number): number => (n[i]! < 0 ? NaN : n[i]! / 1000);
    return {
      started: n[0]!,
      sent: n[1]!,
      received: n[2]!,
      expected: n[3]!,
      spanPackets: n[4]!,
      rttMs: [ms(5), ms(6), ms(7)],
      maxSendLagMs: n[8]! / 1000,
      late: n[17]!,
      window: {
        sent: n[9]!,
        received: n[10]!,
        expected: n[11]!,
        rttMs: [ms(12), ms(13), ms(14)],
        calls: n[15]!,
        ms: n[16]! / 1000,
        late: n[18]!,
      },
    };
  }

  /** Closes the sockets and ends the process. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      await this.#request('close').catch(() => undefined);
      this.#child.stdin.end();
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 2000);
      await this.#exited;
      clearTimeout(timer);
    }
  }

  #request(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
        reject(new Error(`rtp peer exited before "${line.slice(0, 20)}"`));
        return;
      }
      const onExit = (): void => reject(new Error(`rtp peer exited before answering "${line.slice(0, 20)}"`));
      this.#child.once('exit', onExit);
      this.#waiting.push((answer) => {
        this.#child.off('exit', onExit);
        resolve(answer);
      });
      this.#child.stdin.write(`${line}\n`);
    });
  }
}
