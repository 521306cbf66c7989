import { open } from 'node:fs/promises';
import { PeerProcess } from './media/peer-process.ts';
import type { PeerSpan } from './media/peer-process.ts';

/** Loss (and round trip) over some span of the calls. */
export interface SpanFigures {
  /** Echo: packets sent past each call's warm-up. Listen: packets expected, the larger of the range the arrived sequence numbers span and one per 20 ms of each call heard. */
  sent: number;
  received: number;
  /** Echo: packets sent that never came back or came back 200 ms (LATE_MS) or later. Listen: packets expected that did not arrive (sequence gaps, or fewer sent than 50/s). */
  lossPct: number;
  /** Echo: packets that came back 200 ms (LATE_MS) or later (part of `lossPct`). */
  latePct?: number;
  /** Echo: round trip caller → server → callee → server → caller, p50/p99/max. */
  rttMs?: [number, number, number];
}

/** What the benchmark's callers measured on their media. */
export interface RtpPeerFigures {
  /** Calls whose media address was learnt (the 200 OK arrived). */
  calls: number;
  /** Every call's whole media, set-up ramp included. */
  whole: SpanFigures;
  /** The window between {@link RtpPeer.window} on and off (echo: packets sent in it). */
  window: SpanFigures;
  /** Listen: packets heard per 50 expected from the first to the last arrival (a server falling behind sends fewer without gaps). */
  heardPct?: number;
  /** The latest the peer served a send slot after its time (its own lateness, on the load core). */
  maxSendLagMs: number;
  /** Which peer ran: the C program or its Node fallback. */
  kind: 'c' | 'node';
}

/**
 * The callers' media: one UDP socket per call on 127.0.0.1 in a peer process (media/rtp-peer.c, or
 * its Node fallback) pinned to the load core, started on the `MEDIA <port> <ip> <port>` lines sipp
 * logs on 200 OK. Each call sends 20 ms PCMU packets for `sendMs`; `mode` says what is measured:
 * `echo` counts the packets that came back (in time), `listen` what arrived against the sequence
 * numbers and 50 packets/s. The `kind` getter says whether the C peer or its Node fallback ran.
 */
export class RtpPeer {
  readonly #peer: PeerProcess;
  readonly #ports: number[];
  readonly #indexOf = new Map<number, number>();
  readonly #started = new Set<number>();
  readonly #mode: 'echo' | 'listen';
  #poller: NodeJS.Timeout | undefined;
  #logOffset = 0;
  #reading = false;
  #partial = '';

  private constructor(peer: PeerProcess, ports: number[], mode: 'echo' | 'listen') {
    this.#peer = peer;
    this.#ports = ports;
    this.#mode = mode;
    ports.forEach((port, i) => this.#indexOf.set(port, i));
  }

  /** Starts the peer process on `pin` and binds `count` sockets on ephemeral ports of 127.0.0.1. */
  static async open(
    count: number,
    o: { mode: 'echo' | 'listen'; sendMs: number; pin?: string | undefined; kind?: 'auto' | 'node' },
  ): Promise<RtpPeer> {
    const peer = PeerProcess.start({ pin: o.pin, kind: o.kind ?? 'auto' });
    try {
      return new RtpPeer(peer, await peer.open(count, o.mode, o.sendMs), o.mode);
    } catch (err) {
      await peer.stop();
      throw err;
    }
  }

  /** The peer's pid, for its CPU. */
  get pid(): number | undefined {
    return this.#peer.pid;
  }

  /** Which peer runs, and why the fallback when it is the Node one. */
  get kind(): { kind: 'c' | 'node'; reason?: string } {
    return { kind: this.#peer.kind, ...(this.#peer.fallbackReason ? { reason: this.#peer.fallbackReason } : {}) };
  }

  /** A sipp injection file: one port per call, in order. */
  injectionCsv(): string {
    return `SEQUENTIAL\n${this.#ports.map((p) => `${p};`).join('\n')}\n`;
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
    const index = m ? this.#indexOf.get(Number(m[1])) : undefined;
    if (!m || index === undefined || this.#started.has(index)) return;
    this.#started.add(index);
    this.#peer.start(index, m[2]!, Number(m[3]));
  }

  /** Opens (true) or closes the measuring window of {@link RtpPeerFigures.window}. */
  window(open: boolean): void {
    this.#peer.window(open);
  }

  /** The figures so far. */
  async figures(): Promise<RtpPeerFigures> {
    const c = await this.#peer.counts();
    const listen = this.#mode === 'listen';
    // A server that falls behind sends fewer packets without gaps: listen expects one per 20 ms too.
    const span = (s: PeerSpan, byTime: number): SpanFigures => {
      const whole = listen ? Math.max(s.expected, byTime) : s.sent;
      const good = listen ? s.received : s.received - s.late;
      const lossPct = whole === 0 ? 100 : Math.max(0, (1 - good / whole) * 100);
      return {
        sent: whole,
        received: s.received,
        lossPct,
        ...(listen ? {} : { rttMs: s.rttMs, latePct: whole === 0 ? 0 : (s.late / whole) * 100 }),
      };
    };
    return {
      calls: c.started,
      whole: span(c, c.spanPackets),
      window: span(c.window, Math.round((c.window.calls * c.window.ms) / 20)),
      maxSendLagMs: c.maxSendLagMs,
      kind: this.#peer.kind,
      ...(listen ? { heardPct: c.spanPackets === 0 ? 0 : Math.min(100, (c.received / c.spanPackets) * 100) } : {}),
    };
  }

  /** Stops following the log, closes every socket and ends the peer process. */
  async close(): Promise<void> {
    clearInterval(this.#poller);
    await this.#peer.stop();
  }
}
