import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { MULAW_DECODE_TABLE, parseRtpPacket, serializeRtpPacket } from '../../src/media/index.ts';
import type { RtpPacketInit } from '../../src/media/index.ts';

/** The peak absolute sample of a µ-law payload. */
export function peakOfMulaw(payload: Uint8Array): number {
  let peak = 0;
  for (const byte of payload) peak = Math.max(peak, Math.abs(MULAW_DECODE_TABLE[byte] ?? 0));
  return peak;
}

/**
 * A caller's RTP socket on 127.0.0.1 that a test owns (its port goes into the caller's SDP): it
 * latches on to where callbin's RTP comes from, hands each PCMU packet (payload type 0) to
 * `onPcmu`, ignores RTCP and anything else that is not RTP, and sends back to that address. The
 * callers of the e2e tests extend it with what they record and what they send.
 */
export class CallerRtpSocket {
  readonly #socket: Socket;
  #remote: { address: string; port: number } | undefined;
  /** The sending timer of the subclass, cleared on close. */
  protected timer: NodeJS.Timeout | undefined;

  protected constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (msg, rinfo) => {
      this.#remote ??= { address: rinfo.address, port: rinfo.port };
      try {
        const packet = parseRtpPacket(msg);
        if (packet.payloadType === 0) this.onPcmu(packet.payload);
      } catch {
        // RTCP and anything else that is not RTP is not counted.
      }
    });
  }

  /** A UDP socket bound on 127.0.0.1, ephemeral port, for a subclass's `open()`. */
  protected static async bind(): Promise<Socket> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return socket;
  }

  /** The bound port. */
  get port(): number {
    return this.#socket.address().port;
  }

  /** Whether callbin's RTP has arrived (so there is an address to send to). */
  get connected(): boolean {
    return this.#remote !== undefined;
  }

  /** One PCMU packet's payload from callbin. */
  protected onPcmu(_payload: Uint8Array): void {}

  /** Sends one RTP packet to where callbin's RTP comes from; nothing before it came. */
  protected send(packet: RtpPacketInit): void {
    if (!this.#remote) return;
    this.#socket.send(serializeRtpPacket(packet), this.#remote.port, this.#remote.address);
  }

  /** Stops sending and closes the socket. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}

/** One RTP packet callbin sent to the caller. */
interface HeardPacket {
  atMs: number;
  audible: boolean;
}

/**
 * The caller's media socket (its port goes into sipp's SDP with `-key rtp_port`): it records what
 * callbin sends and can keep sending µ-law frames (silence, or speech queued with `say`) back to
 * where callbin's RTP comes from, which also keeps callbin's symmetric RTP latched on this socket.
 */
export class CallerMedia extends CallerRtpSocket {
  readonly heard: HeardPacket[] = [];
  #queue: Buffer = Buffer.alloc(0);
  #seq = 0;

  /** Binds on 127.0.0.1, ephemeral port. */
  static async open(): Promise<CallerMedia> {
    return new CallerMedia(await CallerRtpSocket.bind());
  }

  protected override onPcmu(payload: Uint8Array): void {
    this.heard.push({ atMs: Date.now(), audible: peakOfMulaw(payload) > 1000 });
  }

  /** Audible packets callbin sent at or after `sinceMs` (epoch ms). */
  audiblePacketsSince(sinceMs: number): number {
    return this.heard.filter((p) => p.audible && p.atMs >= sinceMs).length;
  }

  /** Starts sending a 20 ms µ-law frame every 20 ms: queued speech first, silence otherwise. */
  startSending(): void {
    this.timer ??= setInterval(() => {
      if (!this.connected) return;
      const payload = Buffer.alloc(160, 0xff);
      this.#queue.copy(payload, 0, 0, 160);
      this.#queue = this.#queue.subarray(Math.min(160, this.#queue.length));
      const seq = this.#seq++;
      this.send({ payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: seq * 160, ssrc: 0x5eed0001, payload });
    }, 20);
  }

  /** Queues µ-law audio to be sent after what is already queued. */
  say(mulaw: Buffer): void {
    this.#queue = Buffer.concat([this.#queue, mulaw]);
  }
}
