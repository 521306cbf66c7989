import type dgram from 'node:dgram';
import { isIPv4 } from 'node:net';

/** An IPv4 address and port (the session's `RtpAddress`). */
interface Peer {
  readonly address: string;
  readonly port: number;
}

/**
 * Packets sent to the connected peer without one heard back, after which the socket is
 * unconnected again: 200 ms at 50 packets/s (docs/media.md "SDP and RTP").
 */
export const MAX_UNHEARD_SENDS = 10;

/**
 * Connects a leg's RTP socket to the peer it latched (symmetric RTP, RFC 4961), so a packet
 * leaves with `send(buf)`: no address lookup and parse per packet in Node, a cached route in the
 * kernel (docs/benchmarks.md "Figures from real runs"). A connected socket hears only that peer,
 * so it goes back to unconnected (hearing everyone, so a peer that moved is latched again) once
 * the peer fell silent: {@link MAX_UNHEARD_SENDS} sends without a packet from it, or an
 * {@link expire} interval (for a leg that sends nothing). Peers are compared by identity: the
 * session hands over a new object whenever its remote changes.
 */
export class ConnectedSend {
  readonly #socket: dgram.Socket;
  #peer: Peer | undefined;
  #unheard = 0;
  #heardSinceExpire = false;
  #closed = false;

  constructor(socket: dgram.Socket) {
    this.#socket = socket;
  }

  /** The peer the socket is connected to, if any. */
  get peer(): Peer | undefined {
    return this.#peer;
  }

  /** Connects to `peer`, from which a packet just came; stays unconnected when the socket refuses. */
  connect(peer: Peer): void {
    if (this.#closed || this.#peer === peer) return;
    this.disconnect();
    if (!isIPv4(peer.address)) return;
    try {
      // An IPv4 literal through the lease's lookup (rtpLookup) connects at once; remoteAddress()
      // throws unless the socket is connected now.
      this.#socket.connect(peer.port, peer.address);
      this.#socket.remoteAddress();
      this.#peer = peer;
      this.#unheard = 0;
      this.#heardSinceExpire = true;
    } catch {
      // Sends keep carrying the address.
    }
  }

  /** A packet came from the connected peer. */
  heard(): void {
    this.#unheard = 0;
    this.#heardSinceExpire = true;
  }

  /** Sends `buf` to `peer`: on the connected socket while it is connected to `peer` and hears it, else with the address. */
  send(buf: Uint8Array, peer: Peer): void {
    if (this.#peer === peer && ++this.#unheard <= MAX_UNHEARD_SENDS) {
      this.#socket.send(buf);
      return;
    }
    // Another peer, or this one fell silent or moved (NAT rebinding): hear everyone again.
    if (this.#peer !== undefined) this.disconnect();
    this.#socket.send(buf, peer.port, peer.address);
  }

  /** Called every interval: unconnects when nothing came from the peer since the last call. */
  expire(): void {
    if (this.#peer !== undefined && !this.#heardSinceExpire) this.disconnect();
    this.#heardSinceExpire = false;
  }

  /** Makes the socket hear every source again; idempotent. */
  disconnect(): void {
    if (this.#peer === undefined) return;
    this.#peer = undefined;
    try {
      this.#socket.disconnect();
    } catch {
      // Closed meanwhile: nothing left to undo.
    }
  }

  /** Stops connecting (the owner closes the socket); idempotent. */
  close(): void {
    this.#closed = true;
    this.#peer = undefined;
  }
}
