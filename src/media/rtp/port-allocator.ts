import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIPv4 } from 'node:net';
import { AppError, ValidationError } from '../../shared/index.ts';

/** Options of a PortAllocator: an inclusive UDP port range and the address to bind. */
export interface PortAllocatorOptions {
  minPort: number;
  maxPort: number;
  /** Address the sockets bind to; default `127.0.0.1`. */
  host?: string;
  /** Kernel receive buffer per socket in bytes (best effort, capped by the OS). */
  receiveBufferBytes?: number;
}

/** A bound RTP/RTCP socket pair on an even port and the next odd one; `release()` closes both. */
export interface PortLease {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly host: string;
  readonly rtp: dgram.Socket;
  readonly rtcp: dgram.Socket;
  /** Closes both sockets and returns the pair to the allocator; idempotent. */
  release(): void;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The sockets' address lookup, which Node runs on every `send(buf, port, address)`: an IPv4
 * literal (what SDP and latching give) is answered at once, where `dns.lookup` answers it a tick
 * later, so a relayed packet goes out within its receive callback, without a deferred callback
 * per packet; names still go through `dns.lookup`.
 */
export function rtpLookup(hostname: string, options: dns.LookupOneOptions, callback: LookupCallback): void {
  if (isIPv4(hostname)) callback(null, hostname, 4);
  else dns.lookup(hostname, options, callback);
}

function bindSocket(port: number, host: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', lookup: rtpLookup });
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * Hands out even/odd UDP port pairs from a range (RFC 3550 §11: RTP on an even port, RTCP on the
 * next), round-robin so a just-released pair is not reused at once; a pair whose bind fails is skipped.
 */
export class PortAllocator {
  readonly #minPort: number;
  readonly #pairCount: number;
  readonly #host: string;
  readonly #receiveBufferBytes: number | undefined;
  readonly #used = new Set<number>();
  #next = 0;

  constructor(options: PortAllocatorOptions) {
    const min = options.minPort + (options.minPort % 2);
    if (
      !Number.isInteger(options.minPort) ||
      !Number.isInteger(options.maxPort) ||
      min < 1024 ||
      options.maxPort > 65535 ||
      options.maxPort < min + 1
    ) {
      throw ValidationError.field(
        'rtp_ports',
        'INVALID_PORT_RANGE',
        `invalid RTP port range ${options.minPort}-${options.maxPort}`,
      );
    }
    this.#minPort = min;
    this.#pairCount = Math.floor((options.maxPort - min + 1) / 2);
    this.#host = options.host ?? '127.0.0.1';
    this.#receiveBufferBytes = options.receiveBufferBytes;
  }

  /** Number of port pairs currently leased. */
  get inUse(): number {
    return this.#used.size;
  }

  /** Number of pairs the range holds. */
  get capacity(): number {
    return this.#pairCount;
  }

  /** Address the sockets bind to. */
  get host(): string {
    return this.#host;
  }

  /**
   * Marks the next free pair used without binding it, for a transport that binds its own socket
   * (WebRTC, docs/webrtc.md "ICE"); `release()` frees it; throws `RTP_PORTS_EXHAUSTED` when all are used.
   */
  reserve(): { rtpPort: number; rtcpPort: number; release(): void } {
    for (let tried = 0; tried < this.#pairCount; tried++) {
      const index = this.#next;
      this.#next = (this.#next + 1) % this.#pairCount;
      if (this.#used.has(index)) continue;
      this.#used.add(index);
      const rtpPort = this.#minPort + index * 2;
      let released = false;
      const release = (): void => {
        if (!released) this.#used.delete(index);
        released = true;
      };
      return { rtpPort, rtcpPort: rtpPort + 1, release };
    }
    throw new AppError(
      'RTP_PORTS_EXHAUSTED',
      `no free RTP port pair in ${this.#minPort}-${this.#minPort + this.#pairCount * 2 - 1}`,
    );
  }

  /** Binds the next free pair; throws AppError `RTP_PORTS_EXHAUSTED` when no pair can be bound. */
  async allocate(): Promise<PortLease> {
    for (let tried = 0; tried < this.#pairCount; tried++) {
      const index = this.#next;
      this.#next = (this.#next + 1) % this.#pairCount;
      if (this.#used.has(index)) continue;
      this.#used.add(index);
      const lease = await this.#tryBind(index);
      if (lease) return lease;
      this.#used.delete(index);
    }
    throw new AppError(
      'RTP_PORTS_EXHAUSTED',
      `no free RTP port pair in ${this.#minPort}-${this.#minPort + this.#pairCount * 2 - 1}`,
    );
  }

  async #tryBind(index: number): Promise<PortLease | undefined> {
    const rtpPort = this.#minPort + index * 2;
    let rtp: dgram.Socket;
    try {
      rtp = await bindSocket(rtpPort, this.#host);
    } catch {
      // Taken by another process: the caller moves on to the next pair.
      return undefined;
    }
    let rtcp: dgram.Socket;
    try {
      rtcp = await bindSocket(rtpPort + 1, this.#host);
    } catch {
      rtp.close();
      return undefined;
    }
    this.#tuneBuffers(rtp);
    let released = false;
    return {
      rtpPort,
      rtcpPort: rtpPort + 1,
      host: this.#host,
      rtp,
      rtcp,
      release: () => {
        if (released) return;
        released = true;
        rtp.close();
        rtcp.close();
        this.#used.delete(index);
      },
    };
  }

  #tuneBuffers(socket: dgram.Socket): void {
    if (this.#receiveBufferBytes === undefined) return;
    try {
      socket.setRecvBufferSize(this.#receiveBufferBytes);
    } catch {
      // Best effort: the OS may cap or refuse the size; the default buffer still works.
    }
  }
}
