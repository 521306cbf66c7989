import type { RemoteInfo, Socket } from 'node:dgram';
import { bytesOf } from './bytes.ts';
import type { PortLease } from './port-allocator.ts';

/** Where to send: an IPv4 address and port. */
export interface RtpAddress {
  address: string;
  port: number;
}

/** Takes one received packet: plain RTP bytes, and its source when the transport latches. */
export type PacketHandler = (buf: Uint8Array, from: RemoteInfo | undefined) => void;

/**
 * Where an RtpSession's packets come from and go to (docs/media.md "SDP and RTP"): a plain UDP port pair,
 * or a secured transport (WebRTC: ICE + DTLS-SRTP, docs/webrtc.md "The WebRTC leg") that hands
 * over decrypted RTP and encrypts what it is given. The session above sees plain RTP either way.
 */
export interface PacketTransport {
  /** Local address and port written into our SDP. */
  readonly localAddress: string;
  readonly localPort: number;
  /**
   * True when the send address follows the source of received packets (symmetric RTP, RFC 4961)
   * and the session sends its own RTCP; false when ICE decides where packets go and the transport
   * runs RTCP itself (rtcp-mux, RFC 8858).
   */
  readonly latching: boolean;
  /** The socket for the session's own RTCP reports; absent when the transport runs RTCP. */
  readonly rtcpSocket: Socket | undefined;
  /** Sends one plain RTP packet; a latching transport sends to `remote`, others ignore it. */
  send(buf: Uint8Array, remote: RtpAddress | undefined): void;
  /** Installs the one receiver of incoming packets. */
  onPacket(handler: PacketHandler): void;
  /** Frees the transport's ports; idempotent. */
  close(): void;
}

/** Today's RTP path: an even/odd UDP port pair from the PortAllocator, RTP on the even port. */
export function udpPacketTransport(lease: PortLease): PacketTransport {
  return {
    localAddress: lease.host,
    localPort: lease.rtpPort,
    latching: true,
    rtcpSocket: lease.rtcp,
    send(buf, remote) {
      if (remote) lease.rtp.send(buf, remote.port, remote.address);
    },
    onPacket(handler) {
      lease.rtp.on('message', (buf, rinfo) => handler(bytesOf(buf), rinfo));
    },
    close() {
      lease.release();
    },
  };
}
