/**
 * The load's phones: a werift RTCPeerConnection standing in for a browser (full ICE on loopback,
 * DTLS-SRTP, rtcp-mux, bundle), and a plain RTP phone on a UDP socket. Both send one RTP packet
 * per call of {@link LoadPhone.send} and hand each received packet's sequence number and payload to
 * the handler.
 */
import dgram from 'node:dgram';
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader } from 'werift';
import type { PhoneCodec } from './protocol.ts';

const LOOPBACK = '127.0.0.1';

/** Payload type and RTP clock of each codec (Opus: RFC 7587 §4.1). */
export const CODEC_RTP: Record<PhoneCodec, { pt: number; clockRate: number; frameTicks: number }> = {
  PCMU: { pt: 0, clockRate: 8000, frameTicks: 160 },
  opus: { pt: 111, clockRate: 48000, frameTicks: 960 },
};

export type PacketHandler = (seq: number, payload: Uint8Array) => void;

/** One phone of the load. */
export interface LoadPhone {
  readonly codec: PhoneCodec;
  /** Sends one 20 ms packet (sequence and timestamp advance by one frame). */
  send(payload: Uint8Array): void;
  onPacket(handler: PacketHandler): void;
  close(): Promise<void>;
}

async function gathered(pc: RTCPeerConnection): Promise<string> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => {
      const { unSubscribe } = pc.iceGatheringStateChange.subscribe((s) => {
        if (s !== 'complete') return;
        unSubscribe();
        resolve();
      });
    });
  }
  return pc.localDescription?.sdp ?? '';
}

/** A browser: offers one audio stream with its codec, connects to the server's answer. */
export class WebRtcPhone implements LoadPhone {
  readonly codec: PhoneCodec;
  readonly #pc: RTCPeerConnection;
  readonly #header: RtpHeader;
  #handler: PacketHandler | undefined;

  constructor(codec: PhoneCodec, ssrc: number) {
    this.codec = codec;
    const rtp = CODEC_RTP[codec];
    this.#header = new RtpHeader({ payloadType: rtp.pt, ssrc, sequenceNumber: 0, timestamp: 0 });
    const params = new RTCRtpCodecParameters({
      mimeType: `audio/${codec}`,
      clockRate: rtp.clockRate,
      payloadType: rtp.pt,
      channels: codec === 'opus' ? 2 : 1,
    });
    this.#pc = new RTCPeerConnection({
      codecs: { audio: [params], video: [] },
      headerExtensions: { audio: [], video: [] },
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: [LOOPBACK],
      iceInterfaceAddresses: { udp4: LOOPBACK },
    });
  }

  async offer(): Promise<string> {
    this.#pc.addTransceiver('audio', { direction: 'sendrecv' });
    await this.#pc.setLocalDescription(await this.#pc.createOffer());
    return gathered(this.#pc);
  }

  /** Takes the server's answer and resolves once ICE and DTLS are up. */
  async accept(answerSdp: string): Promise<void> {
    const pc = this.#pc;
    const up = new Promise<void>((resolve, reject) => {
      pc.connectionStateChange.subscribe((s) => {
        if (s === 'connected') resolve();
        if (s === 'failed') reject(new Error('a load peer connection failed'));
      });
    });
    await pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
    pc.dtlsTransports[0]?.onRtp.subscribe((p) => this.#handler?.(p.header.sequenceNumber, p.payload));
    await up;
  }

  send(payload: Uint8Array): void {
    const dtls = this.#pc.dtlsTransports[0];
    if (!dtls) return;
    const h = this.#header;
    h.sequenceNumber = (h.sequenceNumber + 1) & 0xffff;
    h.timestamp = (h.timestamp + CODEC_RTP[this.codec].frameTicks) >>> 0;
    void dtls.sendRtp(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), h);
  }

  onPacket(handler: PacketHandler): void {
    this.#handler = handler;
  }

  async close(): Promise<void> {
    this.#handler = undefined;
    await this.#pc.close().catch(() => undefined);
  }
}

/** A plain RTP phone: one UDP socket, connected to the server leg's port. */
export class RtpPhone implements LoadPhone {
  readonly codec: PhoneCodec;
  readonly #socket: dgram.Socket;
  readonly #packet = Buffer.alloc(12 + 1500);
  #seq = 0;
  #ts = 0;
  #connected = false;
  #handler: PacketHandler | undefined;

  private constructor(codec: PhoneCodec, socket: dgram.Socket, ssrc: number) {
    this.codec = codec;
    this.#socket = socket;
    this.#packet[0] = 0x80;
    this.#packet[1] = CODEC_RTP[codec].pt;
    this.#packet.writeUInt32BE(ssrc >>> 0, 8);
    socket.on('message', (m) => {
      if (m.length < 12 || (m[1]! & 0x7f) !== CODEC_RTP[codec].pt) return; // media only, not RTCP
      this.#handler?.(m.readUInt16BE(2), m.subarray(12));
    });
    socket.on('error', () => undefined);
  }

  static async open(codec: PhoneCodec, ssrc: number): Promise<RtpPhone> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, LOOPBACK, resolve));
    s.setRecvBufferSize(1 << 20);
    return new RtpPhone(codec, s, ssrc);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  async connect(port: number): Promise<void> {
    await new Promise<void>((resolve) => this.#socket.connect(port, LOOPBACK, resolve));
    this.#connected = true;
  }

  send(payload: Uint8Array): void {
    if (!this.#connected) return;
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#ts = (this.#ts + CODEC_RTP[this.codec].frameTicks) >>> 0;
    const p = this.#packet;
    p.writeUInt16BE(this.#seq, 2);
    p.writeUInt32BE(this.#ts, 4);
    p.set(payload, 12);
    this.#socket.send(p.subarray(0, 12 + payload.length));
  }

  onPacket(handler: PacketHandler): void {
    this.#handler = handler;
  }

  async close(): Promise<void> {
    this.#handler = undefined;
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
