import { randomInt } from 'node:crypto';
import type { RemoteInfo } from 'node:dgram';
import { InvalidStateError, TypedEmitter, systemClock, type Clock } from '../../shared/index.ts';
import type { AudioCodec } from '../codecs/index.ts';
import {
  DEFAULT_TELEPHONE_EVENT_PT,
  DtmfReceiver,
  type DtmfEvent,
  type TelephoneEventTransport,
} from '../dtmf/index.ts';
import { type PacketTransport, type RtpAddress, udpPacketTransport } from './packet-transport.ts';
import type { PortAllocator } from './port-allocator.ts';
import { ReceiveStats } from './receive-stats.ts';
import { RtcpReporter } from './rtcp-reporter.ts';
import {
  RTP_HEADER_BYTES,
  isRtpVersion2,
  parseRtpPacket,
  readPayloadType,
  readSequenceNumber,
  readSsrc,
  readTimestamp,
  rtpPayloadOffset,
  serializeRtpPacket,
  writeRtpHeader,
  type RtpPacket,
} from './rtp-packet.ts';

export type { RtpAddress } from './packet-transport.ts';

/** Options of RtpSession.open. */
export interface RtpSessionOptions {
  ports: PortAllocator;
  codec: AudioCodec;
  /** Negotiated telephone-event payload type; default 101. */
  telephoneEventPt?: number;
  /** Remote RTP address from the SDP (may come later through setRemote). */
  remote?: RtpAddress;
  clock?: Clock;
  /** RTCP report interval; default 5000 ms (RFC 3550 §6.2 minimum). */
  rtcpIntervalMs?: number;
  /** Uniform in [0, 1): randomizes the RTCP interval (RFC 3550 §6.3.1); default Math.random. */
  rtcpRandom?: () => number;
}

/** Per-leg quality figures (snake_case: they go into the `hangup` event as they are). */
export interface RtpStats {
  packets_sent: number;
  packets_received: number;
  bytes_sent: number;
  bytes_received: number;
  lost: number;
  /** Interarrival jitter in RTP timestamp units (RFC 3550 A.8). */
  jitter: number;
  jitter_ms: number;
  /** Packets that came twice (not counted as received for loss). */
  duplicates: number;
  /** Round-trip time from the peer's RTCP reports (RFC 3550 §6.4.1); null until one answered our SR. */
  rtt_ms: number | null;
}

/** Events of an RtpSession. */
export type RtpSessionEvents = {
  rtp: [packet: RtpPacket];
  dtmf: [event: DtmfEvent];
  latched: [remote: RtpAddress];
  closed: [];
};

/** A read-only consumer of raw received packets (decoder, recorder tap); must not modify `buf`. */
export type RtpObserver = (buf: Uint8Array, session: RtpSession) => void;

/** The one consumer that may rewrite a received packet in place and send it on (relay, echo). */
export type RtpForwarder = (buf: Uint8Array, session: RtpSession) => void;

/** Options of RtpSession.over: a session on a transport the caller made. */
export type RtpSessionTransportOptions = Omit<RtpSessionOptions, 'ports'>;

/**
 * One call leg's RTP stream: its packet transport (its own UDP socket pair with symmetric latching
 * and periodic RTCP reports, or a WebRTC transport that does both itself), outgoing SSRC/sequence/
 * timestamp, reception statistics and DTMF detection. Closing it releases the ports and stops its timer.
 */
export class RtpSession extends TypedEmitter<RtpSessionEvents> implements TelephoneEventTransport {
  readonly codec: AudioCodec;
  readonly telephoneEventPt: number;
  readonly ssrc = randomInt(0, 2 ** 32 - 1) >>> 0;
  readonly #transport: PacketTransport;
  readonly #latching: boolean;
  readonly #clock: Clock;
  readonly #stats = new ReceiveStats();
  readonly #dtmf = new DtmfReceiver();
  readonly #observers: RtpObserver[] = [];
  readonly #rtcp: RtcpReporter | undefined;
  #forwarder: RtpForwarder | undefined;
  #remote: RtpAddress | undefined;
  #remoteSsrc = -1;
  #rtpListeners = 0;
  #sequence = randomInt(0, 0x10000);
  #timestamp = randomInt(0, 2 ** 32 - 1) >>> 0;
  #packetsSent = 0;
  #relayedSent = 0;
  #bytesSent = 0;
  #eventActive = false;
  #closed = false;

  private constructor(transport: PacketTransport, options: RtpSessionTransportOptions) {
    super();
    this.#transport = transport;
    this.#latching = transport.latching;
    this.codec = options.codec;
    this.telephoneEventPt = options.telephoneEventPt ?? DEFAULT_TELEPHONE_EVENT_PT;
    this.#clock = options.clock ?? systemClock;
    this.#remote = options.remote;
    transport.onPacket((buf, rinfo) => this.#onRtp(buf, rinfo));
    const rtcpSocket = transport.rtcpSocket;
    if (!rtcpSocket) return;
    this.#rtcp = new RtcpReporter({
      socket: rtcpSocket,
      clock: this.#clock,
      intervalMs: options.rtcpIntervalMs ?? 5000,
      stats: this.#stats,
      sender: () => ({
        ssrc: this.ssrc,
        packetCount: this.#packetsSent,
        octetCount: this.#bytesSent,
        rtpTimestamp: this.#timestamp,
      }),
      remoteSsrc: () => this.#remoteSsrc,
      remoteRtp: () => this.#remote,
      ...(options.rtcpRandom ? { random: options.rtcpRandom } : {}),
    });
  }

  /** Allocates a port pair and starts receiving. */
  static async open(options: RtpSessionOptions): Promise<RtpSession> {
    return new RtpSession(udpPacketTransport(await options.ports.allocate()), options);
  }

  /** Starts a session on a transport the caller opened (WebRTC); closing the session closes it. */
  static over(transport: PacketTransport, options: RtpSessionTransportOptions): RtpSession {
    return new RtpSession(transport, options);
  }

  /** The session's RTCP (docs/media.md "RTCP"); undefined where the transport runs RTCP itself (WebRTC). */
  get rtcp(): RtcpReporter | undefined {
    return this.#rtcp;
  }

  /** Local RTP port (put it in the SDP). */
  get localPort(): number {
    return this.#transport.localPort;
  }

  /** Local address the sockets are bound to. */
  get localAddress(): string {
    return this.#transport.localAddress;
  }

  /** Current send address (from SDP or latched), if any. */
  get remote(): RtpAddress | undefined {
    return this.#remote;
  }

  /** True once close() ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The RTP clock of telephone-events on this stream: the audio codec's (RFC 4733 §2.1). */
  get eventClockRate(): number {
    return this.codec.clockRate;
  }

  /** True while a DTMF event is being sent; audio senders stay quiet meanwhile. */
  get eventActive(): boolean {
    return this.#eventActive;
  }

  /** RTP timestamp the next outgoing media frame carries. */
  get nextTimestamp(): number {
    return this.#timestamp;
  }

  /** Packets sent so far that a relay forwarded (forwardRaw); the rest were generated here. */
  get relayedPackets(): number {
    return this.#relayedSent;
  }

  /** Packets sent so far that this session generated (audio frames, telephone-events), not relayed ones. */
  get ownPackets(): number {
    return this.#packetsSent - this.#relayedSent;
  }

  /** Sets the remote address from a new SDP (re-INVITE); latching may override it later. */
  setRemote(remote: RtpAddress): void {
    this.#assertOpen();
    this.#remote = remote;
  }

  /** Subscribes to an event; `rtp` listeners make the session parse every packet, so prefer observers. */
  override on<K extends keyof RtpSessionEvents>(
    event: K,
    listener: (...args: RtpSessionEvents[K]) => void,
  ): () => void {
    if (event !== 'rtp') return super.on(event, listener);
    this.#rtpListeners++;
    const off = super.on(event, listener);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#rtpListeners--;
      off();
    };
  }

  /** Adds a read-only raw packet observer; returns a function that removes it. */
  addObserver(observer: RtpObserver): () => void {
    this.#assertOpen();
    this.#observers.push(observer);
    return () => {
      const i = this.#observers.indexOf(observer);
      if (i >= 0) this.#observers.splice(i, 1);
    };
  }

  /** Installs (or removes with undefined) the forwarder that runs after every observer. */
  setForwarder(forwarder: RtpForwarder | undefined): void {
    this.#assertOpen();
    this.#forwarder = forwarder;
  }

  /** Sends one audio frame with the session's codec PT and advances the timestamp by `samples`. */
  sendAudio(payload: Uint8Array, samples = payload.length, marker = false): void {
    this.#assertOpen();
    this.#send(
      serializeRtpPacket({
        payloadType: this.codec.payloadType,
        sequenceNumber: this.#nextSequence(),
        timestamp: this.#timestamp,
        ssrc: this.ssrc,
        marker,
        payload,
      }),
    );
    this.#timestamp = (this.#timestamp + samples) >>> 0;
  }

  /** Advances the timestamp without sending (muted or silent frame: time goes on, RFC 3550 §5.1). */
  skipAudio(samples: number): void {
    this.#timestamp = (this.#timestamp + samples) >>> 0;
  }

  /** Sends a telephone-event packet (TelephoneEventTransport). */
  sendTelephoneEvent(payload: Uint8Array, marker: boolean, timestamp: number): void {
    this.#assertOpen();
    this.#send(
      serializeRtpPacket({
        payloadType: this.telephoneEventPt,
        sequenceNumber: this.#nextSequence(),
        timestamp,
        ssrc: this.ssrc,
        marker,
        payload,
      }),
    );
  }

  /** Moves the next timestamp forward to `timestamp` unless it is already past it (serial arithmetic). */
  advanceTimestampTo(timestamp: number): void {
    if (((timestamp - this.#timestamp) | 0) > 0) this.#timestamp = timestamp >>> 0;
  }

  /** Marks a DTMF event in progress (TelephoneEventTransport). */
  setEventActive(active: boolean): void {
    this.#eventActive = active;
  }

  /**
   * Sends a received packet on this leg's stream: rewrites PT, sequence, timestamp and SSRC in the
   * packet's own buffer and sends it; allocates nothing.
   */
  forwardRaw(buf: Uint8Array, payloadType: number, timestamp: number, marker: boolean): void {
    if (this.#closed || (this.#latching && !this.#remote)) return;
    writeRtpHeader(buf, payloadType, this.#nextSequence(), timestamp, this.ssrc, marker);
    this.#relayedSent++;
    this.#send(buf);
  }

  /** Snapshot of the leg's quality figures. */
  stats(): RtpStats {
    const jitter = this.#stats.jitter;
    return {
      packets_sent: this.#packetsSent,
      packets_received: this.#stats.received,
      bytes_sent: this.#bytesSent,
      bytes_received: this.#stats.bytes,
      lost: Math.max(0, this.#stats.lost),
      jitter: Math.round(jitter),
      jitter_ms: Math.round((jitter / (this.codec.clockRate / 1000)) * 100) / 100,
      duplicates: this.#stats.duplicates,
      rtt_ms: this.#rtcp?.rttMs === undefined ? null : Math.round(this.#rtcp.rttMs * 10) / 10,
    };
  }

  /** Releases the ports and stops RTCP; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rtcp?.close();
    this.#transport.close();
    this.#observers.length = 0;
    this.#forwarder = undefined;
    this.emit('closed');
  }

  #nextSequence(): number {
    const seq = this.#sequence;
    this.#sequence = (seq + 1) & 0xffff;
    return seq;
  }

  #send(buf: Uint8Array): void {
    const remote = this.#remote;
    if (this.#latching && !remote) return;
    this.#packetsSent++;
    this.#bytesSent += buf.length;
    this.#transport.send(buf, remote);
  }

  #onRtp(buf: Uint8Array, rinfo: RemoteInfo | undefined): void {
    if (this.#closed || !isRtpVersion2(buf) || buf.length < RTP_HEADER_BYTES) return;
    // ICE decided the path of a non-latching transport (RFC 8445 §12): no latching there.
    if (rinfo && this.#latching) this.#latch(rinfo);
    this.#remoteSsrc = readSsrc(buf);
    const event = readPayloadType(buf) === this.telephoneEventPt;
    this.#stats.update(
      readSequenceNumber(buf),
      readTimestamp(buf),
      buf.length,
      this.#clock.now(),
      this.codec.clockRate,
      this.#remoteSsrc,
      !event,
    );
    if (event) this.#onTelephoneEvent(buf);
    for (let i = 0; i < this.#observers.length; i++) (this.#observers[i] as RtpObserver)(buf, this);
    if (this.#rtpListeners > 0) this.#emitParsed(buf);
    this.#forwarder?.(buf, this);
  }

  #latch(rinfo: RemoteInfo): void {
    const remote = this.#remote;
    if (remote && remote.port === rinfo.port && remote.address === rinfo.address) return;
    // A zero source port means "no reply port" (RFC 768), so it can never be a return address.
    if (rinfo.port === 0) return;
    // Symmetric RTP (RFC 4961): answer to where the endpoint really sends from (NAT).
    this.#remote = { address: rinfo.address, port: rinfo.port };
    this.emit('latched', this.#remote);
  }

  #onTelephoneEvent(buf: Uint8Array): void {
    let offset: number;
    try {
      offset = rtpPayloadOffset(buf);
    } catch {
      // A malformed event packet carries no digit; the stream goes on.
      return;
    }
    const event = this.#dtmf.push(buf.subarray(offset), readTimestamp(buf), this.codec.clockRate);
    if (event) this.emit('dtmf', event);
  }

  #emitParsed(buf: Uint8Array): void {
    try {
      this.emit('rtp', parseRtpPacket(buf));
    } catch {
      // Malformed packets are counted in stats but not surfaced as parsed events.
    }
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new InvalidStateError(`rtp session on port ${this.#transport.localPort} is closed`, 'RTP_SESSION_CLOSED');
  }
}
