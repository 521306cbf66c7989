// Peers of the connect e2e tests: a tone detector for 20 ms frames, a caller's RTP socket that plays
// one tone and classifies what it hears, and the 3PCC twin of sipp (the test tells a sipp scenario
// when to go on, and hears where it got to).
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { MULAW_ENCODE_TABLE, decodeMulaw } from '../../src/media/index.ts';
import { CallerRtpSocket } from './caller-rtp.ts';

/**
 * The share of a frame's energy at `hz` (Goertzel): about 1 for a pure tone of `hz`, 1/n for n tones
 * of one loudness mixed, about 0 without it. `hz` must fit whole periods in the frame.
 */
export function toneShare(frame: Int16Array, hz: number): number {
  const n = frame.length;
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / 8000);
  let [s1, s2, energy] = [0, 0, 0];
  for (const x of frame) {
    const s = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
    energy += x * x;
  }
  if (energy === 0) return 0;
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return power / ((energy * n) / 2);
}

/** Whether a frame carries `hz`: loud enough (peak above ≈ −30 dBFS) and at least a fifth of its energy there. */
export function carriesTone(frame: Int16Array, hz: number): boolean {
  let peak = 0;
  for (const x of frame) peak = Math.max(peak, Math.abs(x));
  return peak > 1000 && toneShare(frame, hz) > 0.2;
}

/** A 20 ms PCMU payload of `hz` (whole periods, so it repeats without a click). */
export function tonePayload(hz: number, amplitude = 6000): Uint8Array {
  const payload = new Uint8Array(160);
  for (let i = 0; i < 160; i++) {
    const s = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000));
    payload[i] = MULAW_ENCODE_TABLE[s & 0xffff] ?? 0xff;
  }
  return payload;
}

/**
 * A party's RTP socket on 127.0.0.1 (its port goes into a sipp SDP with `-key rtp_port`): it sends its
 * own tone every 20 ms to where callbin's RTP comes from, and keeps, per packet it hears, which of
 * the `listenHz` tones it carries. `onFrame` sees each decoded frame as it arrives.
 */
export class TonePartyRtp extends CallerRtpSocket {
  readonly hz: number;
  readonly listenHz: readonly number[];
  /** Per received packet: the listened tones it carries. */
  readonly heard: (readonly number[])[] = [];
  onFrame: ((frame: Int16Array, tones: readonly number[]) => void) | undefined;

  private constructor(socket: Awaited<ReturnType<typeof CallerRtpSocket.bind>>, hz: number, listenHz: number[]) {
    super(socket);
    this.hz = hz;
    this.listenHz = listenHz;
  }

  static async open(hz: number, listenHz: number[]): Promise<TonePartyRtp> {
    const party = new TonePartyRtp(await CallerRtpSocket.bind(), hz, listenHz);
    const payload = tonePayload(hz);
    let seq = 0;
    party.timer = setInterval(() => {
      if (!party.connected) return;
      party.send({
        payloadType: 0,
        sequenceNumber: seq & 0xffff,
        timestamp: (seq * 160) >>> 0,
        ssrc: 0x7000 + hz,
        payload,
      });
      seq += 1;
    }, 20);
    return party;
  }

  protected override onPcmu(payload: Uint8Array): void {
    const frame = new Int16Array(payload.length);
    decodeMulaw(payload, frame);
    const tones = this.listenHz.filter((hz) => carriesTone(frame, hz));
    this.heard.push(tones);
    this.onFrame?.(frame, tones);
  }

  /** Packets heard so far (a mark for {@link since}). */
  mark(): number {
    return this.heard.length;
  }

  /** How many packets heard since `mark` carried `hz`. */
  since(mark: number, hz: number): number {
    return this.heard.slice(mark).filter((tones) => tones.includes(hz)).length;
  }
}

/** One command a sipp scenario sent its twin (`<sendCmd>`): its headers, by lower-case name. */
export interface TwinCommand {
  step: string;
  headers: Map<string, string>;
  /** Sends `<recvCmd>`'s awaited command back to that sipp, for the same call. */
  reply(): void;
}

/**
 * The 3PCC twin of sipp processes started with `-3pcc 127.0.0.1:<port>` whose first twin command is
 * `<sendCmd>`: each connects here, and commands (header lines, ended by ESC) are kept in arrival order.
 */
export class SippTwin {
  readonly commands: TwinCommand[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #waiters = new Set<() => void>();

  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
      let buffer = '';
      socket.on('data', (data) => {
        buffer += data.toString('latin1');
        for (let end = buffer.indexOf('\x1b'); end >= 0; end = buffer.indexOf('\x1b')) {
          this.#take(buffer.slice(0, end), socket);
          buffer = buffer.slice(end + 1);
        }
      });
    });
  }

  static async open(): Promise<SippTwin> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return new SippTwin(server);
  }

  /** The `-3pcc` argument for sipp. */
  get address(): string {
    const address = server(this.#server);
    return `127.0.0.1:${address}`;
  }

  /** The first command of `step`, once it came. */
  async next(step: string, timeoutMs = 20_000): Promise<TwinCommand> {
    return (await this.all(step, 1, timeoutMs))[0] as TwinCommand;
  }

  /** The first `count` commands of `step`, once they came. */
  async all(step: string, count: number, timeoutMs = 20_000): Promise<TwinCommand[]> {
    const found = (): TwinCommand[] | undefined => {
      const of = this.commands.filter((c) => c.step === step);
      return of.length >= count ? of.slice(0, count) : undefined;
    };
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const commands = found();
        if (!commands) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(commands);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`sipp never reached ${step} ${count} times`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #take(text: string, socket: Socket): void {
    const headers = new Map<string, string>();
    for (const line of text.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const callId = headers.get('call-id') ?? '';
    this.commands.push({
      step: headers.get('x-step') ?? '',
      headers,
      reply: () => socket.write(`Call-ID: ${callId}\r\nX-Step: go\r\n\r\n\x1b`),
    });
    for (const waiter of [...this.#waiters]) waiter();
  }
}

function server(s: Server): number {
  const address = s.address();
  if (address === null || typeof address === 'string') throw new Error('twin server is not listening');
  return address.port;
}
