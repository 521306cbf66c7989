import { isIPv6 } from 'node:net';
import { RTCPeerConnection, RTCRtpCodecParameters, type RTCDtlsTransport } from 'werift';
import { AppError, type Clock, TypedEmitter, systemClock } from '../../shared/index.ts';
import type { PacketHandler, PacketTransport } from '../rtp/packet-transport.ts';
import type { PortAllocator } from '../rtp/port-allocator.ts';
import { onlyFormats, withDefaultCandidate } from './answer-sdp.ts';
import { outgoingHeader } from './rtp-bytes.ts';
import { CONSENT_TIMEOUT_MS, ConsentWatch } from './consent-watch.ts';
import { webRtcCredentials } from './webrtc-sdp.ts';

/** One audio format of our WebRTC description, with its payload type. */
export interface WebRtcCodec {
  /** Encoding name: `PCMU`, `PCMA`, `opus`, `telephone-event`. */
  name: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  fmtp?: string;
}

/** Options of WebRtcTransport.answer and .offer. */
export interface WebRtcTransportOptions {
  /** Hands out the one UDP port ICE uses (docs/webrtc.md "ICE"). */
  ports: PortAllocator;
  /** Address of our one host candidate (`CALLBIN_PUBLIC_IP`). */
  address: string;
  /** Audio formats of our description in preference order, telephone-event included. */
  codecs: readonly WebRtcCodec[];
  /** Times consent freshness; the system clock by default. */
  clock?: Clock;
  /** Silence after which a connected peer is gone; {@link CONSENT_TIMEOUT_MS} by default. */
  consentTimeoutMs?: number;
}

/** How many reserved pairs an offer or answer tries when other processes hold their ports. */
const PORT_ATTEMPTS = 8;

/**
 * Where ICE and DTLS stand (docs/webrtc.md "Failures"): `connected` once DTLS-SRTP keys exist;
 * `failed` for good — ICE/DTLS failed, or a connected peer went silent (no consent check, RTP or
 * RTCP for the consent timeout, RFC 7675) or sent a DTLS close alert and then nothing; `closed`
 * only by our own close().
 */
export type WebRtcState = 'new' | 'connecting' | 'connected' | 'failed' | 'closed';

/** Events of a WebRtcTransport. */
export type WebRtcTransportEvents = { state: [state: WebRtcState] };

function codecParameters(codecs: readonly WebRtcCodec[]): RTCRtpCodecParameters[] {
  return codecs.map((c) => {
    const p = new RTCRtpCodecParameters({
      mimeType: `audio/${c.name}`,
      clockRate: c.clockRate,
      payloadType: c.payloadType,
      channels: c.channels ?? 1,
    });
    if (c.fmtp !== undefined) p.parameters = c.fmtp;
    return p;
  });
}

/**
 * The WebRTC path of a leg (docs/webrtc.md "The WebRTC leg"): werift's RTCPeerConnection does ICE
 * (lite, one host candidate on `address`), DTLS and SRTP with rtcp-mux, and RTCP; this class hands
 * the RtpSession decrypted RTP packets and encrypts what it sends, keeping payload type, sequence
 * and timestamp (telephone-events go out as they are, RFC 4733). Packets from an address that did
 * not pass ICE never get here: werift takes media only on the nominated pair.
 */
export class WebRtcTransport extends TypedEmitter<WebRtcTransportEvents> implements PacketTransport {
  readonly latching = false;
  readonly rtcpSocket = undefined;
  readonly localAddress: string;
  #port: number;
  readonly #pc: RTCPeerConnection;
  readonly #release: () => void;
  #handler: PacketHandler | undefined;
  #dtls: RTCDtlsTransport | undefined;
  #ssrc = 0;
  #state: WebRtcState = 'new';
  #closed: Promise<void> | undefined;
  #localSdp = '';
  readonly #clock: Clock;
  readonly #consentTimeoutMs: number;
  #consent: ConsentWatch | undefined;

  private constructor(options: WebRtcTransportOptions) {
    super();
    const reservation = options.ports.reserve();
    this.#release = reservation.release;
    this.localAddress = options.address;
    this.#clock = options.clock ?? systemClock;
    this.#consentTimeoutMs = options.consentTimeoutMs ?? CONSENT_TIMEOUT_MS;
    this.#port = reservation.rtpPort;
    this.#pc = new RTCPeerConnection({
      codecs: { audio: codecParameters(options.codecs), video: [] },
      headerExtensions: { audio: [], video: [] },
      iceLite: true,
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: [options.address],
      iceInterfaceAddresses: isIPv6(options.address) ? { udp6: '::' } : { udp4: options.ports.host },
      // werift binds the first free port of the range: the reserved pair's even port, else the odd one.
      icePortRange: [reservation.rtpPort, reservation.rtcpPort],
      bundlePolicy: 'max-bundle',
    });
    this.#pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected') this.#connected();
      else if (s === 'failed') this.#setState('failed');
      else if (s === 'connecting') this.#setState('connecting');
    });
  }

  /** Answers a browser's offer; throws AppError `SDP_WEBRTC_INVALID` for an offer werift cannot take. */
  static async answer(
    offerSdp: string,
    options: WebRtcTransportOptions,
  ): Promise<{ transport: WebRtcTransport; answerSdp: string }> {
    webRtcCredentials(offerSdp);
    return WebRtcTransport.#onFreePorts(options, async (transport) => {
      const pc = transport.#pc;
      await transport.#guard(() => pc.setRemoteDescription({ type: 'offer', sdp: offerSdp }));
      const transceiver = pc.getTransceivers().find((t) => t.kind === 'audio');
      if (!transceiver) throw new AppError('SDP_WEBRTC_INVALID', 'invalid WebRTC SDP: no audio stream to answer');
      transceiver.setDirection('sendrecv');
      await transport.#guard(async () => pc.setLocalDescription(await pc.createAnswer()));
      await transport.#gathered();
      transport.#localSdp = onlyFormats(transport.#localSdp, options.codecs);
      transport.#attach();
      return { transport, answerSdp: transport.#localSdp };
    });
  }

  /** Creates our offer for a call to a browser; give the answer to {@link applyAnswer}. */
  static async offer(options: WebRtcTransportOptions): Promise<{ transport: WebRtcTransport; offerSdp: string }> {
    return WebRtcTransport.#onFreePorts(options, async (transport) => {
      const pc = transport.#pc;
      pc.addTransceiver('audio', { direction: 'sendrecv' });
      await pc.setLocalDescription(await pc.createOffer());
      await transport.#gathered();
      return { transport, offerSdp: transport.#localSdp };
    });
  }

  /**
   * Runs `setup` on a new transport (closed when it throws). A reserved pair may be held by another
   * process, so werift binds neither port: the next pairs are tried, as PortAllocator.allocate()
   * skips a pair it cannot bind.
   */
  static async #onFreePorts<T>(
    options: WebRtcTransportOptions,
    setup: (transport: WebRtcTransport) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const transport = new WebRtcTransport(options);
      try {
        return await setup(transport);
      } catch (err) {
        transport.close();
        const unbound = err instanceof AppError && err.code === 'RTP_PORTS_EXHAUSTED';
        if (!unbound || attempt >= Math.min(PORT_ATTEMPTS, options.ports.capacity)) throw err;
      }
    }
  }

  /** Takes the browser's answer to our offer; throws AppError `SDP_WEBRTC_INVALID` when it cannot be applied. */
  async applyAnswer(answerSdp: string): Promise<void> {
    webRtcCredentials(answerSdp);
    await this.#guard(() => this.#pc.setRemoteDescription({ type: 'answer', sdp: answerSdp }));
    this.#attach();
  }

  /** The port of our host candidate. */
  get localPort(): number {
    return this.#port;
  }

  /** ICE/DTLS state. */
  get state(): WebRtcState {
    return this.#state;
  }

  /** Our current description (after gathering, with the host candidate). */
  get localSdp(): string {
    return this.#localSdp;
  }

  /** The browser's ICE username fragment from its current description. */
  get remoteIceUfrag(): string | undefined {
    const sdp = this.#pc.remoteDescription?.sdp;
    return sdp ? webRtcCredentials(sdp).iceUfrag : undefined;
  }

  send(buf: Uint8Array): void {
    const dtls = this.#dtls;
    if (!dtls || this.#state !== 'connected') return;
    const packet = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const header = outgoingHeader(packet);
    // The SSRC our description announced (a=ssrc), so the browser's demuxer finds the stream.
    header.ssrc = this.#ssrc;
    // Encryption copies the packet before sendRtp returns its promise, so `buf` may be reused at once.
    void dtls.sendRtp(packet.subarray(header.payloadOffset), header);
  }

  onPacket(handler: PacketHandler): void {
    this.#handler = handler;
  }

  /** Marks the transport failed (a description werift refused after the fact). */
  fail(): void {
    this.#setState('failed');
  }

  /** Closes the peer connection; its port goes back to the allocator once the socket is closed. */
  close(): void {
    this.#closed ??= this.#close();
  }

  /** Resolves once close() freed the port. */
  whenClosed(): Promise<void> {
    return this.#closed ?? Promise.resolve();
  }

  async #close(): Promise<void> {
    this.#handler = undefined;
    this.#consent?.stop();
    this.#setState('closed');
    try {
      await this.#pc.close();
    } catch {
      // A half-set-up connection may fail to close parts it never opened; the socket is closed anyway.
    } finally {
      this.#release();
    }
  }

  #setState(state: WebRtcState): void {
    if (this.#state === state || this.#state === 'closed' || (this.#state === 'failed' && state !== 'closed')) return;
    this.#state = state;
    this.emit('state', state);
  }

  /** Runs a werift step; its errors (a description it cannot apply) become `SDP_WEBRTC_INVALID`. */
  async #guard<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      if (err instanceof AppError) throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw new AppError('SDP_WEBRTC_INVALID', `invalid WebRTC SDP: ${why}`);
    }
  }

  async #gathered(): Promise<void> {
    const pc = this.#pc;
    if (pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        const { unSubscribe } = pc.iceGatheringStateChange.subscribe((s) => {
          if (s !== 'complete') return;
          unSubscribe();
          resolve();
        });
      });
    }
    const sdp = pc.localDescription?.sdp ?? '';
    const candidate = /^a=candidate:\S+ 1 udp \d+ \S+ (\d+) typ host/m.exec(sdp);
    if (!candidate) throw new AppError('RTP_PORTS_EXHAUSTED', `the ICE port ${this.localPort} could not be bound`);
    this.#port = Number(candidate[1]);
    this.#localSdp = withDefaultCandidate(sdp, this.localAddress, this.#port);
  }

  /** Starts taking decrypted RTP from the (bundled) DTLS transport. */
  #attach(): void {
    if (this.#dtls) return;
    const transceiver = this.#pc.getTransceivers().find((t) => t.kind === 'audio');
    const dtls = this.#pc.dtlsTransports[0];
    if (!transceiver || !dtls) return;
    this.#ssrc = transceiver.sender.ssrc;
    this.#dtls = dtls;
    dtls.onRtp.subscribe((packet) => {
      this.#consent?.heard();
      this.#handler?.(packet.serialize(), undefined);
    });
  }

  /** DTLS-SRTP is up: from now on the peer must keep proving it is there (RFC 7675). */
  #connected(): void {
    this.#attach();
    const dtls = this.#dtls;
    if (dtls && !this.#consent && this.#state !== 'closed') {
      this.#consent = new ConsentWatch(dtls, {
        clock: this.#clock,
        timeoutMs: this.#consentTimeoutMs,
        onLost: () => this.#setState('failed'),
      });
    }
    this.#setState('connected');
  }
}
