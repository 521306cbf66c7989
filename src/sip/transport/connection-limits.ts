import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../../shared/index.ts';
import { normalizeAddress } from './transport-types.ts';

/** Caps on the stream connections of one transport. */
export interface ConnectionLimitOptions {
  clock: Clock;
  /** Open stream connections at most, inbound and outbound together. */
  maxConnections: number;
  /** Inbound connections at most from one source: an IPv4 address or an IPv6 /64. */
  maxPerSource: number;
  /** How long an inbound connection may take to become a SIP connection (TLS handshake, WebSocket upgrade). */
  setupDeadlineMs: number;
}

/** Counters of refused and expired connections. */
export interface ConnectionLimitStats {
  /** Inbound connections closed at once because the table was full. */
  refusedTotal: number;
  /** Inbound connections closed at once because their source had too many. */
  refusedPerSource: number;
  /** Inbound connections closed because their TLS handshake or WebSocket upgrade took too long. */
  setupExpired: number;
}

interface Admitted {
  key: string;
  timer: TimerHandle | undefined;
}

/**
 * Admission of stream connections: every inbound socket takes a slot in the total and in its
 * source's budget before any byte of it is read, and is closed at once when either is full.
 * Connections callbin opens itself count in the total but are never refused and are not charged to
 * the peer's budget, so a provider's own inbound connections cannot be starved by ours.
 */
export class ConnectionLimits {
  readonly #o: ConnectionLimitOptions;
  readonly #inbound = new Map<Socket, Admitted>();
  readonly #bySource = new Map<string, number>();
  readonly #stats: ConnectionLimitStats = { refusedTotal: 0, refusedPerSource: 0, setupExpired: 0 };
  #outbound = 0;

  constructor(options: ConnectionLimitOptions) {
    this.#o = options;
  }

  /** Open connections counted against the total. */
  get size(): number {
    return this.#inbound.size + this.#outbound;
  }

  stats(): ConnectionLimitStats {
    return { ...this.#stats };
  }

  /** True when `socket` was admitted and is still open. */
  has(socket: Socket): boolean {
    return this.#inbound.has(socket);
  }

  /**
   * Take a slot for an accepted socket, or destroy it and count the refusal. With `setup`, the
   * socket is destroyed unless `established()` is called within the setup deadline.
   */
  admit(socket: Socket, setup: boolean): boolean {
    const key = sourceKey(socket.remoteAddress);
    if (key === undefined) {
      socket.destroy();
      return false;
    }
    if (this.size >= this.#o.maxConnections) return this.#refuse(socket, 'refusedTotal');
    const count = this.#bySource.get(key) ?? 0;
    if (count >= this.#o.maxPerSource) return this.#refuse(socket, 'refusedPerSource');
    this.#bySource.set(key, count + 1);
    const timer = setup
      ? this.#o.clock.setTimeout(() => this.#setupExpired(socket), this.#o.setupDeadlineMs)
      : undefined;
    this.#inbound.set(socket, { key, timer });
    socket.once('close', () => this.#release(socket));
    return true;
  }

  /** The admitted socket now carries SIP: its setup deadline no longer applies. */
  established(socket: Socket): void {
    const admitted = this.#inbound.get(socket);
    if (!admitted) return;
    this.#o.clock.clearTimeout(admitted.timer);
    admitted.timer = undefined;
  }

  /** Count a connection callbin opened; released when the socket closes. */
  track(socket: { once(event: 'close', listener: () => void): unknown }): void {
    this.#outbound += 1;
    socket.once('close', () => (this.#outbound -= 1));
  }

  /** Destroy every admitted socket (those still in setup included). */
  destroyAll(): void {
    for (const socket of [...this.#inbound.keys()]) socket.destroy();
  }

  #refuse(socket: Socket, counter: 'refusedTotal' | 'refusedPerSource'): false {
    this.#stats[counter] += 1;
    socket.destroy();
    return false;
  }

  #setupExpired(socket: Socket): void {
    const admitted = this.#inbound.get(socket);
    if (!admitted || admitted.timer === undefined) return;
    admitted.timer = undefined;
    this.#stats.setupExpired += 1;
    socket.destroy();
  }

  #release(socket: Socket): void {
    const admitted = this.#inbound.get(socket);
    if (!admitted) return;
    this.#inbound.delete(socket);
    this.#o.clock.clearTimeout(admitted.timer);
    const left = (this.#bySource.get(admitted.key) ?? 1) - 1;
    if (left > 0) this.#bySource.set(admitted.key, left);
    else this.#bySource.delete(admitted.key);
  }
}

/** The budget a peer address is charged to: the IPv4 address, or the /64 of an IPv6 one (a host's usual share). */
export function sourceKey(remoteAddress: string | undefined): string | undefined {
  if (remoteAddress === undefined || remoteAddress === '') return undefined;
  const address = normalizeAddress(remoteAddress.split('%')[0] ?? '');
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return undefined;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, in lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const split = (part: string | undefined): string[] => {
    if (part === undefined || part === '') return [];
    // An embedded IPv4 tail (RFC 4291 §2.2) stands for two groups; only its count matters here.
    return part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  };
  const [head, tail] = address.split('::');
  const left = split(head);
  const right = split(tail);
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16).toString(16));
}
