// The media of a PSTN caller (a sipp caller whose SDP points here): a PCMU RTP socket that sends a
// continuous tone back to wherever callbin's RTP comes from (symmetric RTP) and keeps what it hears.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { MULAW_ENCODE_TABLE, decodeMulaw, parseRtpPacket, serializeRtpPacket } from '../../src/media/index.ts';

/** A PCMU peer on 127.0.0.1 playing `toneHz` and recording the audio it receives. */
export class ToneRtpPeer {
  readonly toneHz: number;
  readonly #socket: Socket;
  readonly #heard: Int16Array[] = [];
  #samples = 0;
  #remote: { address: string; port: number } | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(socket: Socket, toneHz: number, amplitude: number) {
    this.toneHz = toneHz;
    this.#socket = socket;
    socket.on('message', (msg, rinfo) => {
      this.#remote ??= { address: rinfo.address, port: rinfo.port };
      try {
        const packet = parseRtpPacket(msg);
        if (packet.payloadType !== 0) return;
        const pcm = new Int16Array(packet.payload.length);
        decodeMulaw(packet.payload, pcm);
        this.#heard.push(pcm);
        this.#samples += pcm.length;
      } catch {
        // RTCP and anything else that is not RTP carries no audio.
      }
    });
    let seq = 0;
    const payload = new Uint8Array(160);
    this.#timer = setInterval(() => {
      if (!this.#remote) return;
      for (let i = 0; i < 160; i++) {
        const s = Math.round(amplitude * Math.sin((2 * Math.PI * toneHz * (seq * 160 + i)) / 8000));
        payload[i] = MULAW_ENCODE_TABLE[s & 0xffff] ?? 0xff;
      }
      const packet = serializeRtpPacket({
        payloadType: 0,
        sequenceNumber: seq & 0xffff,
        timestamp: (seq * 160) >>> 0,
        ssrc: 0x5eed7011,
        payload,
      });
      seq += 1;
      this.#socket.send(packet, this.#remote.port, this.#remote.address);
    }, 20);
  }

  /** Binds on 127.0.0.1 (ephemeral port); the tone starts once callbin's first packet arrives. */
  static async open(toneHz: number, amplitude = 8000): Promise<ToneRtpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return new ToneRtpPeer(socket, toneHz, amplitude);
  }

  /** The bound port (the `rtp_port` of the caller's SDP). */
  get port(): number {
    return this.#socket.address().port;
  }

  /** How many samples were heard so far. */
  mark(): number {
    return this.#samples;
  }

  /** The samples heard since `mark`, in arrival order. */
  heardSince(mark: number): Int16Array {
    const all = new Int16Array(this.#samples);
    let at = 0;
    for (const part of this.#heard) {
      all.set(part, at);
      at += part.length;
    }
    return all.subarray(mark);
  }

  /** Stops the tone and closes the socket. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
