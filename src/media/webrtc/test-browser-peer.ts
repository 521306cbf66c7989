import {
  type IceConnection,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  type RTCRtpTransceiver,
  type RtpPacket,
} from 'werift';
import { decodeMulaw, encodeMulaw } from '../codecs/g711.ts';

/** One format the test browser offers. */
export interface PeerCodec {
  name: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
}

/** What Chromium offers for audio, less the codecs callbin may not have (tests pick). */
export const BROWSER_G711: readonly PeerCodec[] = [
  { name: 'PCMU', payloadType: 0, clockRate: 8000 },
  { name: 'PCMA', payloadType: 8, clockRate: 8000 },
  { name: 'telephone-event', payloadType: 126, clockRate: 8000 },
];

/** A DTLS 1.2 record holding a warning-level close_notify alert (RFC 6347 §4.1, RFC 5246 §7.2.1). */
export function closeNotifyRecord(): Buffer {
  // content type 21 (alert), version DTLS 1.2, epoch 0, sequence 0, length 2, level 1 (warning), description 0.
  return Buffer.from([21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0]);
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

/**
 * An independent WebRTC peer for tests, standing in for a browser: werift with full ICE on
 * loopback, its own certificate, sending RTP with the payload types it is told (PCMU audio,
 * RFC 4733 events) and decoding the PCMU it receives.
 */
export class TestBrowserPeer {
  readonly pc: RTCPeerConnection;
  readonly received: RtpPacket[] = [];
  #transceiver: RTCRtpTransceiver | undefined;
  #seq = 1000;
  #ts = 5000;
  readonly #ssrc = 0x1234abcd;

  constructor(codecs: readonly PeerCodec[] = BROWSER_G711) {
    this.pc = new RTCPeerConnection({
      codecs: {
        audio: codecs.map(
          (c) =>
            new RTCRtpCodecParameters({
              mimeType: `audio/${c.name}`,
              clockRate: c.clockRate,
              payloadType: c.payloadType,
              channels: c.channels ?? 1,
            }),
        ),
        video: [],
      },
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
    });
  }

  /** Creates the offer with its host candidate. */
  async offer(): Promise<string> {
    this.#transceiver = this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return gathered(this.pc);
  }

  /** Takes the answer to our offer. */
  async accept(answerSdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
    this.#listen();
  }

  /** Answers an offer. */
  async answer(offerSdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    this.#transceiver = this.pc.getTransceivers()[0];
    this.#transceiver?.setDirection('sendrecv');
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    this.#listen();
    return gathered(this.pc);
  }

  /** Resolves once ICE and DTLS are up; rejects on `failed`. */
  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.pc.connectionState === 'connected') return resolve();
      this.pc.connectionStateChange.subscribe((s) => {
        if (s === 'connected') resolve();
        if (s === 'failed') reject(new Error('peer connection failed'));
      });
    });
  }

  /** Sends one RTP packet as it is (no payload type rewriting). */
  sendRtp(payloadType: number, payload: Uint8Array, options: { timestamp?: number; marker?: boolean } = {}): void {
    const dtls = this.pc.dtlsTransports[0];
    if (!dtls) throw new Error('no DTLS transport yet');
    const header = new RtpHeader({
      payloadType,
      sequenceNumber: this.#seq++ & 0xffff,
      timestamp: options.timestamp ?? this.#ts,
      ssrc: this.#ssrc,
      marker: options.marker ?? false,
    });
    void dtls.sendRtp(Buffer.from(payload), header);
  }

  /** Sends 20 ms of PCMU per call from `pcm` (160 samples). */
  sendPcmu(pcm: Int16Array): void {
    const out = new Uint8Array(160);
    encodeMulaw(pcm, out);
    this.sendRtp(0, out);
    this.#ts = (this.#ts + 160) >>> 0;
  }

  /** Decoded PCMU of the received packets with payload type 0 from index `from` on, in arrival order. */
  receivedPcmu(from = 0): Int16Array {
    const packets = this.received.slice(from).filter((p) => p.header.payloadType === 0);
    const out = new Int16Array(packets.length * 160);
    const frame = new Int16Array(160);
    packets.forEach((p, i) => {
      decodeMulaw(p.payload.subarray(0, 160), frame);
      out.set(frame, i * 160);
    });
    return out;
  }

  close(): Promise<void> {
    return this.pc.close();
  }

  /** Sends a DTLS close_notify alert (RFC 6347 §4.1, plaintext as werift has no API for it) on the selected pair. */
  sendCloseAlert(): void {
    void this.#connection().send(closeNotifyRecord());
  }

  /** Authenticated consent checks the far side answered (RFC 7675). */
  get consentResponses(): number {
    return this.#connection().nominated?.responsesReceived ?? 0;
  }

  /** Goes away as a closed tab or a lost network does: its sockets close, no DTLS alert is sent. */
  async vanish(): Promise<void> {
    const sockets = (this.#connection() as unknown as { protocols: { transport: { close(): Promise<void> } }[] })
      .protocols;
    await Promise.all(sockets.map((p) => p.transport.close()));
  }

  #connection(): IceConnection {
    const ice = this.pc.iceTransports[0];
    if (!ice) throw new Error('no ICE transport yet');
    return ice.connection;
  }

  #listen(): void {
    const dtls = this.pc.dtlsTransports[0];
    dtls?.onRtp.subscribe((p) => this.received.push(p));
  }
}

/** The description with every DTLS fingerprint changed (RFC 8122 §5): the certificate then used will not match. */
export function alterFingerprint(sdp: string): string {
  return sdp.replace(/^(a=fingerprint:\S+ )([0-9A-F]{2})/gim, (_m, head: string, first: string) => {
    const flipped = (Number.parseInt(first, 16) ^ 0xff).toString(16).toUpperCase().padStart(2, '0');
    return `${head}${flipped}`;
  });
}
