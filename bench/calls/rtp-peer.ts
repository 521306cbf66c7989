import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { open } from 'node:fs/promises';

/** What the benchmark's callers measured on their media. */
export interface RtpPeerFigures {
  /** Calls whose media address was learnt (the 200 OK arrived). */
  calls: number;
  sent: number;
  received: number;
  /** Echo: packets sent that never came back. Listen: sequence numbers missing in what arrived. */
  lossPct: number;
}

interface CallMedia {
  socket: Socket;
  remote?: { address: string; port: number };
  sendUntilMs: number;
  seq: number;
  /** RFC 3550 §5.1: the first sequence number is random. */
  seqBase: number;
  sent: number;
  received: number;
  /** Extended (unwrapped) sequence numbers of what arrived: lowest, highest, last raw. */
  lowSeq?: number;
  highSeq?: number;
  lastRaw?: number;
  cycles: number;
}

const PAYLOAD_BYTES = 160;
const ECHO_TAG = 0xca11;
/** Echo mode counts a call's packets from its 26th on: the first 0.5 s cover the bridge being set up. */
const WARMUP_PACKETS = 25;

/**
 * The callers' media: one UDP socket per call on 127.0.0.1, learnt from the `MEDIA <port> <ip>
 * <port>` lines sipp logs on 200 OK. Each sends 20 ms PCMU packets for `sendMs`; `mode` says what
 * is measured: `echo` counts the packets that came back, `listen` the sequence gaps of what arrived.
 */
export class RtpPeer {
  readonly #calls: CallMedia[];
  readonly #byPort = new Map<number, CallMedia>();
  readonly #mode: 'echo' | 'listen';
  readonly #sendMs: number;
  #ticker: NodeJS.Timeout | undefined;
  #poller: NodeJS.Timeout | undefined;
  #logOffset = 0;
  #reading = false;
  #partial = '';

  private constructor(calls: CallMedia[], mode: 'echo' | 'listen', sendMs: number) {
    this.#calls = calls;
    this.#mode = mode;
    this.#sendMs = sendMs;
    for (const call of calls) {
      this.#byPort.set(call.socket.address().port, call);
      call.socket.on('message', (msg) => this.#onPacket(call, msg));
    }
    this.#ticker = setInterval(() => this.#tick(), 20);
  }

  /** Binds `count` sockets on ephemeral ports of 127.0.0.1. */
  static async open(count: number, o: { mode: 'echo' | 'listen'; sendMs: number }): Promise<RtpPeer> {
    const calls: CallMedia[] = [];
    for (let i = 0; i < count; i++) {
      const socket = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', () => resolve());
      });
      calls.push({ socket, sendUntilMs: 0, seq: 0, seqBase: Math.floor(Math.random() * 0x10000), sent: 0, received: 0, cycles: 0 });
    }
    return new RtpPeer(calls, o.mode, o.sendMs);
  }

  /** A sipp injection file: one port per call, in order. */
  injectionCsv(): string {
    return `SEQUENTIAL\n${this.#calls.map((c) => `${c.socket.address().port};`).join('\n')}\n`;
  }

  /** Follows sipp's log file (polling), starting each call's media when its line appears. */
  follow(logFile: string): void {
    this.#poller = setInterval(() => {
      // One read at a time: overlapping reads from the same offset would split lines twice.
      if (this.#reading) return;
      this.#reading = true;
      void this.#readLog(logFile).finally(() => (this.#reading = false));
    }, 50);
  }

  async #readLog(file: string): Promise<void> {
    const handle = await open(file, 'r').catch(() => undefined);
    if (!handle) return;
    try {
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const { bytesRead } = await handle.read(buf, 0, buf.length, this.#logOffset);
        if (bytesRead === 0) break;
        this.#logOffset += bytesRead;
        const lines = (this.#partial + buf.subarray(0, bytesRead).toString('latin1')).split('\n');
        this.#partial = lines.pop() ?? '';
        for (const line of lines) this.#onLogLine(line);
      }
    } finally {
      await handle.close();
    }
  }

  #onLogLine(line: string): void {
    const m = /MEDIA (\d+) ([\d.]+) (\d+)/.exec(line);
    const call = m ? this.#byPort.get(Number(m[1])) : undefined;
    if (!m || !call || call.remote) return;
    call.remote = { address: m[2]!, port: Number(m[3]) };
    call.sendUntilMs = performance.now() + this.#sendMs;
  }

  #tick(): void {
    const now = performance.now();
    for (const call of this.#calls) {
      if (!call.remote || now >= call.sendUntilMs) continue;
      // RFC 3550 §5.1: version 2, PT 0 (PCMU), then sequence number, timestamp and SSRC.
      // A fresh buffer per packet: dgram sends asynchronously and must not see later writes.
      const p = Buffer.alloc(12 + PAYLOAD_BYTES, 0xff);
      p[0] = 0x80;
      p[1] = 0;
      p.writeUInt16BE((call.seq + call.seqBase) & 0xffff, 2);
      p.writeUInt32BE((call.seq * PAYLOAD_BYTES) >>> 0, 4);
      p.writeUInt32BE(call.socket.address().port, 8);
      // A tag in the payload: relays may rewrite the header, a PCMU-to-PCMU relay keeps the payload.
      p.writeUInt16BE(ECHO_TAG, 12);
      p.writeUInt16BE(call.socket.address().port, 14);
      p.writeUInt32BE(call.seq, 16);
      if (call.seq >= WARMUP_PACKETS) call.sent += 1;
      call.seq += 1;
      call.socket.send(p, call.remote.port, call.remote.address);
    }
  }

  #onPacket(call: CallMedia, msg: Buffer): void {
    if (msg.length < 12 || (msg[0]! & 0xc0) !== 0x80) return;
    const pt = msg[1]! & 0x7f;
    // RTCP (PT 72–76 once the marker bit is masked) is not media.
    if (pt >= 72 && pt <= 76) return;
    if (this.#mode === 'echo') {
      // Only our own packets coming back count; a server may also send audio of its own.
      if (msg.length >= 20 && msg.readUInt16BE(12) === ECHO_TAG && msg.readUInt16BE(14) === call.socket.address().port && msg.readUInt32BE(16) >= WARMUP_PACKETS) {
        call.received += 1;
      }
      return;
    }
    call.received += 1;
    const raw = msg.readUInt16BE(2);
    if (call.lastRaw !== undefined && raw < call.lastRaw && call.lastRaw - raw > 0x8000) call.cycles += 1;
    call.lastRaw = raw;
    const ext = call.cycles * 0x10000 + raw;
    call.lowSeq = Math.min(call.lowSeq ?? ext, ext);
    call.highSeq = Math.max(call.highSeq ?? ext, ext);
  }

  /** The figures so far. */
  figures(): RtpPeerFigures {
    let calls = 0;
    let sent = 0;
    let received = 0;
    let expected = 0;
    for (const c of this.#calls) {
      if (c.remote) calls += 1;
      sent += c.sent;
      received += c.received;
      if (c.lowSeq !== undefined && c.highSeq !== undefined) expected += c.highSeq - c.lowSeq + 1;
    }
    const lossPct = this.#mode === 'echo'
      ? (sent === 0 ? 100 : Math.max(0, (1 - received / sent) * 100))
      : (expected === 0 ? 100 : Math.max(0, (1 - received / expected) * 100));
    return { calls, sent, received, lossPct };
  }

  /** Stops sending and closes every socket. */
  async close(): Promise<void> {
    clearInterval(this.#ticker);
    clearInterval(this.#poller);
    await Promise.all(this.#calls.map((c) => new Promise<void>((resolve) => c.socket.close(() => resolve()))));
  }
}
