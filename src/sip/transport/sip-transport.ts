import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { AppError, InvalidStateError, TypedEmitter, silentLogger, systemClock } from '../../shared/index.ts';
import type { Clock, Logger } from '../../shared/index.ts';
import { parseMessage, serializeMessage } from '../message/index.ts';
import type { SipMessage } from '../message/index.ts';
import { ConnectionLimits } from './connection-limits.ts';
import { ConnectionPool } from './connection-pool.ts';
import type { TlsOptions } from './connection-pool.ts';
import { errorResponseFor } from './error-response.ts';
import { rejectUpgrade, tcpListener, tlsListener, wsListener, wssListener } from './stream-listeners.ts';
import type { ListenerDeps } from './stream-listeners.ts';
import { responseDestination } from './response-destination.ts';
import type { SipConnection } from './sip-connection.ts';
import { DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_MESSAGE_BYTES } from './stream-framer.ts';
import { normalizeAddress } from './transport-types.ts';
import type {
  HostPort,
  MessagePeer,
  MessageSource,
  SendDestination,
  SipMessageObserver,
  SipTransportEvents,
  TransportStats,
} from './transport-types.ts';
import { stampReceived } from './via-received.ts';
import { WsConnection } from './ws-connection.ts';

/** Options of a {@link SipTransport}. */
export interface SipTransportOptions {
  clock?: Clock;
  logger?: Logger;
  maxMessageBytes?: number;
  maxHeaderBytes?: number;
  /** Close a stream connection after this long without a whole message or keep-alive either way (default 5 minutes). */
  idleTimeoutMs?: number;
  /**
   * Close a stream connection whose message is not complete this long after its first byte, and an
   * inbound TLS/WebSocket connection not set up this long after it was accepted (default 10 s).
   */
  messageDeadlineMs?: number;
  /** Open TCP/TLS/WebSocket connections at most; more inbound ones are closed at once (default 4096). */
  maxConnections?: number;
  /** Inbound connections at most per source IPv4 address or IPv6 /64 (default 32). */
  maxConnectionsPerSource?: number;
  /** Give up an outbound TCP/TLS connect after this long (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * SO_RCVBUF asked for each UDP listener (default 4 MiB, docs/security.md "Overload"); the kernel
   * caps it at `net.core.rmem_max`.
   */
  udpReceiveBufferBytes?: number;
  tls?: TlsOptions;
}

/** Where to listen. Port 0 picks a free port. */
export interface ListenOptions {
  host: string;
  port: number;
}

/** Where to accept SIP over WebSocket; `path` defaults to any path. */
export interface WsListenOptions extends ListenOptions {
  path?: string;
}

const SIP_SUBPROTOCOL = 'sip';
/** SO_RCVBUF asked for UDP listeners: about 3,600 INVITEs of 900 bytes on Linux, seconds of a burst (docs/security.md "Overload"). */
export const DEFAULT_UDP_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The SIP transport layer (RFC 3261 §18): UDP, TCP, TLS and WebSocket (plain and secure) listeners, inbound
 * parsing with Via `received`/`rport` stamping, and sending by destination or connection.
 */
export class SipTransport extends TypedEmitter<SipTransportEvents> {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #maxMessageBytes: number;
  readonly #udpReceiveBufferBytes: number;
  readonly #tls: TlsOptions | undefined;
  readonly #pool: ConnectionPool;
  readonly #limits: ConnectionLimits;
  readonly #watchdog: { clock: Clock; idleTimeoutMs: number; messageDeadlineMs: number };
  /** UDP listeners and their address family, read once at bind (getsockname is a syscall per call). */
  readonly #udp: { socket: UdpSocket; ipv6: boolean }[] = [];
  readonly #servers: NetServer[] = [];
  readonly #wss: WebSocketServer;
  readonly #stats = { received: 0, sent: 0, malformed: 0, sendErrors: 0, closedIdle: 0, closedDeadline: 0 };
  #closed = false;
  /** Who sees every message (docs/timeline.md "SIP ladder"); with none, sending and receiving do no extra work. */
  #observers: readonly SipMessageObserver[] = [];

  constructor(options: SipTransportOptions = {}) {
    super();
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#udpReceiveBufferBytes = options.udpReceiveBufferBytes ?? DEFAULT_UDP_RECEIVE_BUFFER_BYTES;
    this.#tls = options.tls;
    this.#watchdog = {
      clock: this.#clock,
      idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
      messageDeadlineMs: options.messageDeadlineMs ?? 10_000,
    };
    this.#limits = new ConnectionLimits({
      clock: this.#clock,
      maxConnections: options.maxConnections ?? 4096,
      maxPerSource: options.maxConnectionsPerSource ?? 32,
      setupDeadlineMs: this.#watchdog.messageDeadlineMs,
    });
    this.#pool = new ConnectionPool({
      ...this.#watchdog,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      limits: this.#limits,
      maxMessageBytes: this.#maxMessageBytes,
      maxHeaderBytes: options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
      ...(options.tls ? { tls: options.tls } : {}),
      callbacks: {
        onMessage: (conn, bytes) => this.#inbound(bytes, sourceOf(conn)),
        onFramingError: (conn, reason, header) => this.#onFramingError(conn, reason, header),
        onTimeout: (conn, why) => {
          this.#stats[why === 'idle' ? 'closedIdle' : 'closedDeadline'] += 1;
          this.#logger.debug({ connection: conn.id, why }, 'connection timed out');
        },
        onClose: (conn) => this.#logger.debug({ connection: conn.id }, 'connection closed'),
      },
    });
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.#maxMessageBytes,
      handleProtocols: (protocols) => (protocols.has(SIP_SUBPROTOCOL) ? SIP_SUBPROTOCOL : false),
    });
  }

  /** Counters for metrics. */
  stats(): TransportStats {
    const { refusedTotal, refusedPerSource, setupExpired } = this.#limits.stats();
    return {
      ...this.#stats,
      closedDeadline: this.#stats.closedDeadline + setupExpired,
      refusedTotal,
      refusedPerSource,
      connections: this.#pool.size,
    };
  }

  /** Let `observer` see each message received and sent from now on; returns a function that stops it. */
  observe(observer: SipMessageObserver): () => void {
    this.#observers = [...this.#observers, observer];
    return () => {
      this.#observers = this.#observers.filter((o) => o !== observer);
    };
  }

  /** Listen for SIP over UDP; resolves with the bound address. */
  async listenUdp(options: ListenOptions): Promise<HostPort> {
    this.#assertOpen();
    // A datagram that arrives while the receive buffer is full is lost, and its sender retransmits
    // it only after T1, 2*T1, … (RFC 3261 §17.1.1.2): the buffer absorbs a busy event loop's bursts.
    const socket = createSocket({
      type: options.host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: this.#udpReceiveBufferBytes,
    });
    let local: HostPort = { address: '', port: 0 };
    socket.on('message', (bytes, rinfo) => {
      this.#inbound(bytes, {
        transport: 'UDP',
        address: normalizeAddress(rinfo.address),
        port: rinfo.port,
        local: { address: local.address, port: local.port },
      });
    });
    socket.on('error', (err) => this.#logger.warn({ err }, 'UDP socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port, options.host, () => {
        socket.off('error', reject);
        const bound = socket.address();
        local = { address: bound.address, port: bound.port };
        this.#reportReceiveBuffer(socket, local);
        this.#udp.push({ socket, ipv6: bound.family === 'IPv6' });
        resolve();
      });
    });
    return { ...local };
  }

  /** Listen for SIP over TCP; resolves with the bound address. */
  listenTcp(options: ListenOptions): Promise<HostPort> {
    this.#assertOpen();
    return this.#listen(tcpListener(this.#listenerDeps()), options);
  }

  /** Listen for SIP over TLS; needs `tls` cert and key in the options. The handshake starts only once admitted. */
  listenTls(options: ListenOptions): Promise<HostPort> {
    this.#assertOpen();
    const tls = this.#tls;
    if (!tls) throw new InvalidStateError('TLS listener needs a certificate and key', 'TLS_NOT_CONFIGURED');
    return this.#listen(tlsListener(this.#listenerDeps(), tls), options);
  }

  /** Listen for SIP over WebSocket (RFC 7118) on a dedicated HTTP server fed with admitted sockets. */
  listenWs(options: WsListenOptions): Promise<HostPort> {
    this.#assertOpen();
    return this.#listen(
      wsListener(this.#limits, options.path, (req, socket, head) => this.handleUpgrade(req, socket, head)),
      options,
    );
  }

  /**
   * Listen for SIP over secure WebSocket (RFC 7118, `wss`) with the transport's `tls` cert and key;
   * connections are `WSS` in Via and Contact. The TLS handshake starts only once admitted.
   */
  listenWss(options: WsListenOptions): Promise<HostPort> {
    this.#assertOpen();
    const tls = this.#tls;
    if (!tls) throw new InvalidStateError('WSS listener needs a certificate and key', 'TLS_NOT_CONFIGURED');
    const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, admitted: Socket): void =>
      this.#upgrade(req, socket, head, admitted);
    return this.#listen(wssListener(this.#listenerDeps(), tls, options.path, upgrade), options);
  }

  /** Accept a WebSocket upgrade from any HTTP(S) server; refuses clients not offering `sip`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#upgrade(req, socket, head, req.socket);
  }

  /** `admitted` is the TCP socket under the caps: the request's own, or the one under its TLS. */
  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, admitted: Socket): void {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (this.#closed || !offered.includes(SIP_SUBPROTOCOL)) return rejectUpgrade(socket, '400 Bad Request');
    const raw: Socket = req.socket;
    // Another server's socket (not accepted by listenWs) is admitted here, under the same caps.
    if (!this.#limits.has(admitted) && !this.#limits.admit(admitted, false)) return;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#limits.established(admitted);
      const transport = 'encrypted' in raw && raw.encrypted === true ? 'WSS' : 'WS';
      const remote = { address: normalizeAddress(raw.remoteAddress ?? ''), port: raw.remotePort ?? 0 };
      const local = { address: normalizeAddress(raw.localAddress ?? ''), port: raw.localPort ?? 0 };
      this.#pool.add(new WsConnection(ws, socket, transport, remote, local, this.#pool.callbacks, this.#watchdog));
    });
  }

  /**
   * Send a message. A `connectionId` that is still open is used as is; a response whose
   * connection is gone follows its Via (RFC 3261 §18.2.2); TCP/TLS requests reuse or open a
   * connection. Rejects with AppError TRANSPORT_ERROR.
   */
  async send(msg: SipMessage, dest: SendDestination): Promise<void> {
    try {
      this.#assertOpen();
      const bytes = serializeMessage(msg);
      if (dest.transport === 'UDP') await this.#sendUdp(bytes, dest.host, dest.port);
      else await (await this.#connectionFor(msg, dest)).send(bytes);
      this.#stats.sent += 1;
      if (this.#observers.length > 0)
        this.#notify(msg, 'out', { transport: dest.transport, address: dest.host, port: dest.port }, bytes);
    } catch (err) {
      this.#stats.sendErrors += 1;
      if (err instanceof AppError && err.code === 'TRANSPORT_ERROR') throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new AppError('TRANSPORT_ERROR', `cannot send to ${dest.transport} ${dest.host}:${dest.port}: ${reason}`, {
        cause: err,
      });
    }
  }

  /** Close every listener and connection; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.destroyAll();
    this.#limits.destroyAll();
    for (const client of this.#wss.clients) client.terminate();
    this.#wss.close();
    const closing: Promise<void>[] = this.#udp.map(
      ({ socket }) => new Promise<void>((resolve) => socket.close(() => resolve())),
    );
    for (const server of this.#servers) closing.push(new Promise<void>((resolve) => server.close(() => resolve())));
    await Promise.all(closing);
  }

  #listenerDeps(): ListenerDeps {
    return { limits: this.#limits, pool: this.#pool, logger: this.#logger };
  }

  #assertOpen(): void {
    if (this.#closed) throw new AppError('TRANSPORT_ERROR', 'transport is closed');
  }

  async #listen(server: NetServer, options: ListenOptions): Promise<HostPort> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.#logger.warn({ err }, 'listener error'));
    this.#servers.push(server);
    const bound = server.address() as AddressInfo;
    return { address: bound.address, port: bound.port };
  }

  /** Linux reports twice the size granted (its bookkeeping overhead); less than asked means `rmem_max` capped it. */
  #reportReceiveBuffer(socket: UdpSocket, local: HostPort): void {
    const granted = socket.getRecvBufferSize();
    const fields = { local, askedBytes: this.#udpReceiveBufferBytes, grantedBytes: granted };
    if (granted < this.#udpReceiveBufferBytes)
      this.#logger.info(fields, 'SIP UDP receive buffer capped by the kernel: raise net.core.rmem_max');
    else this.#logger.debug(fields, 'SIP UDP receive buffer');
  }

  #sendUdp(bytes: Buffer, host: string, port: number): Promise<void> {
    const ipv6 = host.includes(':');
    const socket = (this.#udp.find((u) => u.ipv6 === ipv6) ?? this.#udp[0])?.socket;
    if (!socket) return Promise.reject(new AppError('TRANSPORT_ERROR', 'no UDP listener'));
    return new Promise((resolve, reject) => socket.send(bytes, port, host, (err) => (err ? reject(err) : resolve())));
  }

  async #connectionFor(msg: SipMessage, dest: SendDestination): Promise<SipConnection> {
    if (dest.connectionId !== undefined) {
      const conn = this.#pool.get(dest.connectionId);
      if (conn) return conn;
      if (msg.kind === 'response') {
        // RFC 3261 §18.2.2: the connection is gone, so open one to `received` and the sent-by port.
        const fallback = responseDestination(msg);
        return this.#pool.obtain(fallback.transport, fallback.host, fallback.port);
      }
    }
    return this.#pool.obtain(dest.transport, dest.host, dest.port);
  }

  #inbound(bytes: Buffer, source: MessageSource): void {
    this.#stats.received += 1;
    // Keep-alives outside streams (RFC 5626 §4.4.1 uses STUN on UDP; lone CRLFs are common).
    if (bytes.length <= 4 && bytes.toString('latin1').trim() === '') return;
    let msg: SipMessage;
    try {
      msg = parseMessage(bytes);
      if (msg.kind === 'request') stampReceived(msg, source);
    } catch (err) {
      void this.#malformed(bytes, source, err instanceof Error ? err.message : 'unparseable');
      return;
    }
    if (this.#observers.length > 0) this.#notify(msg, 'in', source, bytes);
    this.emit('message', msg, source);
  }

  #notify(msg: SipMessage, direction: 'in' | 'out', peer: MessagePeer, bytes: Buffer): void {
    for (const observer of this.#observers) {
      try {
        observer(msg, direction, peer, bytes);
      } catch (err) {
        this.#logger.warn({ err }, 'SIP message observer failed');
      }
    }
  }

  /** Count, report and (when possible) answer a bad message; settles once the answer is written. */
  #malformed(bytes: Buffer, source: MessageSource, reason: string, status?: number): Promise<void> {
    this.#stats.malformed += 1;
    const answer = errorResponseFor(bytes, status);
    this.#logger.debug({ source, reason }, 'malformed SIP message');
    this.emit('malformed', answer ? { source, reason, answeredWith: answer.status } : { source, reason });
    if (!answer) return Promise.resolve();
    const dest = {
      transport: source.transport,
      host: source.address,
      port: source.port,
      ...(source.connectionId !== undefined ? { connectionId: source.connectionId } : {}),
    };
    // Best effort: the peer sent garbage, so a failed error response needs no further handling.
    return this.send(answer, dest).catch(() => {});
  }

  #onFramingError(conn: SipConnection, reason: string, header: Buffer | undefined): void {
    this.#stats.received += 1;
    const source = sourceOf(conn);
    // RFC 3261 §21.5.14: 513 for a message larger than the server will process.
    const status = reason === 'MESSAGE_TOO_LARGE' || reason === 'HEADER_TOO_LARGE' ? 513 : 400;
    void this.#malformed(header ?? Buffer.alloc(0), source, reason, status).finally(() => conn.end());
  }
}

function sourceOf(conn: SipConnection): MessageSource {
  return {
    transport: conn.transport,
    address: conn.remote.address,
    port: conn.remote.port,
    connectionId: conn.id,
    local: conn.local,
  };
}
