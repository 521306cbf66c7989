// The media of a sipp caller whose SDP points here (`-key rtp_port`): a PCMU RTP socket that keeps
// sending silence to where callbin's RTP comes from (symmetric RTP), presses keys as RFC 4733
// telephone-events with the payload type of its SDP, and keeps every telephone-event and every
// PCMU frame callbin sends it.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import {
  decodeMulaw,
  eventOfDigit,
  parseRtpPacket,
  readTelephoneEvent,
  serializeRtpPacket,
  writeTelephoneEvent,
} from '../../src/media/index.ts';
import type { TelephoneEvent } from '../../src/media/index.ts';

/** One telephone-event packet callbin sent, with its RTP header fields. */
export interface HeardEvent extends TelephoneEvent {
  payloadType: number;
  marker: boolean;
  timestamp: number;
}

const FRAME = 160;
const SSRC = 0x5eed2833;

/** A caller's RTP socket on 127.0.0.1 that presses keys and records the keys and audio it hears. */
export class DtmfRtpCaller {
  /** Telephone-event packets (payload type `eventPt`) callbin sent, in arrival order. */
  readonly events: HeardEvent[] = [];
  /** Payload types of every RTP packet callbin sent. */
  readonly payloadTypes = new Set<number>();
  readonly eventPt: number;
  readonly #socket: Socket;
  readonly #pcm: Int16Array[] = [];
  #samples = 0;
  #remote: { address: string; port: number } | undefined;
  #seq = 0;
  #timestamp = 0;
  #pressing = false;
  #timer: NodeJS.Timeout | undefined;

  private constructor(socket: Socket, eventPt: number) {
    this.#socket = socket;
    this.eventPt = eventPt;
    socket.on('message', (msg, rinfo) => {
      this.#remote ??= { address: rinfo.address, port: rinfo.port };
      let packet: ReturnType<typeof parseRtpPacket>;
      try {
        packet = parseRtpPacket(msg);
      } catch {
        return; // RTCP and anything else that is not RTP
      }
      this.payloadTypes.add(packet.payloadType);
      if (packet.payloadType === 0) {
        const pcm = new Int16Array(packet.payload.length);
        decodeMulaw(packet.payload, pcm);
        this.#pcm.push(pcm);
        this.#samples += pcm.length;
      }
      const te = packet.payloadType === eventPt ? readTelephoneEvent(packet.payload) : undefined;
      if (te)
        this.events.push({
          ...te,
          payloadType: packet.payloadType,
          marker: packet.marker,
          timestamp: packet.timestamp,
        });
    });
    this.#timer = setInterval(() => {
      if (this.#pressing) return;
      this.#send(0, false, this.#timestamp, new Uint8Array(FRAME).fill(0xff));
      this.#timestamp = (this.#timestamp + FRAME) >>> 0;
    }, 20);
  }

  /** Binds on 127.0.0.1 (ephemeral port); `eventPt` is the telephone-event payload type of the caller's SDP. */
  static async open(eventPt: number): Promise<DtmfRtpCaller> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return new DtmfRtpCaller(socket, eventPt);
  }

  /** The bound port. */
  get port(): number {
    return this.#socket.address().port;
  }

  /** Whether callbin's RTP has arrived (so there is an address to send to). */
  get connected(): boolean {
    return this.#remote !== undefined;
  }

  /**
   * Presses `digit` for 100 ms as RFC 4733 §2.5 describes: a first packet with the marker bit,
   * updates every 50 ms, the end packet three times, all with one timestamp; audio pauses meanwhile.
   */
  async press(digit: string): Promise<void> {
    const event = eventOfDigit(digit);
    const timestamp = this.#timestamp;
    this.#pressing = true;
    try {
      for (const duration of [0, 400]) {
        this.#send(
          this.eventPt,
          duration === 0,
          timestamp,
          writeTelephoneEvent({ event, end: false, volume: 10, duration }),
        );
        await new Promise((r) => setTimeout(r, 50));
      }
      const end = writeTelephoneEvent({ event, end: true, volume: 10, duration: 800 });
      for (let i = 0; i < 3; i++) this.#send(this.eventPt, false, timestamp, end);
    } finally {
      this.#timestamp = (timestamp + 800) >>> 0;
      this.#pressing = false;
    }
  }

  /** The telephone-events callbin sent, one entry per event (its packets share a timestamp), in order. */
  heardDigits(): { digit: string; packets: HeardEvent[] }[] {
    const byTimestamp = new Map<number, HeardEvent[]>();
    for (const e of this.events) byTimestamp.set(e.timestamp, [...(byTimestamp.get(e.timestamp) ?? []), e]);
    const keys = '0123456789*#ABCD';
    return [...byTimestamp.values()].map((packets) => ({ digit: keys[packets[0]?.event ?? -1] ?? '?', packets }));
  }

  /** How many PCMU samples were heard so far. */
  mark(): number {
    return this.#samples;
  }

  /** The PCMU samples heard since `mark`, in arrival order. */
  heardSince(mark: number): Int16Array {
    const all = new Int16Array(this.#samples);
    let at = 0;
    for (const part of this.#pcm) {
      all.set(part, at);
      at += part.length;
    }
    return all.subarray(mark);
  }

  /** Stops sending and closes the socket. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  #send(payloadType: number, marker: boolean, timestamp: number, payload: Uint8Array): void {
    if (!this.#remote) return;
    const seq = this.#seq++;
    const packet = serializeRtpPacket({
      payloadType,
      marker,
      sequenceNumber: seq & 0xffff,
      timestamp,
      ssrc: SSRC,
      payload,
    });
    this.#socket.send(packet, this.#remote.port, this.#remote.address);
  }
}
