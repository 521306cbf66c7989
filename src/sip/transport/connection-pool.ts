import { AppError } from '../../shared/index.ts';
import { connect as netConnect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionLimits } from './connection-limits.ts';
import type { WatchdogOptions } from './connection-watchdog.ts';
import { StreamConnection } from './stream-connection.ts';
import type { ConnectionCallbacks, SipConnection } from './sip-connection.ts';
import type { StreamFramerOptions } from './stream-framer.ts';
import type { TransportProtocol } from './transport-types.ts';

/** TLS material; a TLS listener and outbound TLS exist only when it is configured. */
export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer;
  /** Verify peers' certificates on outbound connections (default true). */
  rejectUnauthorized?: boolean;
}

/** Options of a {@link ConnectionPool}. */
export interface ConnectionPoolOptions extends StreamFramerOptions, WatchdogOptions {
  connectTimeoutMs: number;
  /** Counts the connections the pool opens (never refused). */
  limits?: ConnectionLimits;
  tls?: TlsOptions;
  callbacks: ConnectionCallbacks;
}

function remoteKey(transport: TransportProtocol, host: string, port: number): string {
  return `${transport}|${host}|${port}`;
}

/**
 * The open stream connections of a transport, by id and by remote address, so that a
 * request to a peer reuses the connection it (or we) opened (RFC 3261 §18.1.1).
 */
export class ConnectionPool {
  readonly #options: ConnectionPoolOptions;
  readonly #callbacks: ConnectionCallbacks;
  readonly #byId = new Map<string, SipConnection>();
  readonly #byRemote = new Map<string, SipConnection>();
  readonly #connecting = new Map<string, Promise<SipConnection>>();
  /** Connection id → the remote key it was dialled by, when that differs from its address. */
  readonly #dialledAs = new Map<string, string>();

  constructor(options: ConnectionPoolOptions) {
    this.#options = options;
    this.#callbacks = {
      onMessage: options.callbacks.onMessage,
      onFramingError: options.callbacks.onFramingError,
      onTimeout: options.callbacks.onTimeout,
      onClose: (conn) => {
        this.#byId.delete(conn.id);
        const key = remoteKey(conn.transport, conn.remote.address, conn.remote.port);
        if (this.#byRemote.get(key) === conn) this.#byRemote.delete(key);
        const dialled = this.#dialledAs.get(conn.id);
        if (dialled !== undefined && this.#byRemote.get(dialled) === conn) this.#byRemote.delete(dialled);
        this.#dialledAs.delete(conn.id);
        options.callbacks.onClose(conn);
      },
    };
  }

  /** Callbacks to give a connection built outside the pool (WebSocket) before `add()`. */
  get callbacks(): ConnectionCallbacks {
    return this.#callbacks;
  }

  /** Number of open connections. */
  get size(): number {
    return this.#byId.size;
  }

  /** Track a connection. */
  add(conn: SipConnection): void {
    this.#byId.set(conn.id, conn);
    this.#byRemote.set(remoteKey(conn.transport, conn.remote.address, conn.remote.port), conn);
  }

  /** Wrap and track an accepted or connected TCP/TLS socket. */
  adopt(socket: Socket, transport: 'TCP' | 'TLS'): StreamConnection {
    const conn = new StreamConnection(socket, transport, { ...this.#options, callbacks: this.#callbacks });
    this.add(conn);
    return conn;
  }

  /** The open connection with this id. */
  get(id: string): SipConnection | undefined {
    const conn = this.#byId.get(id);
    return conn?.open ? conn : undefined;
  }

  /** An open connection to this remote address, or a new outbound TCP/TLS one. */
  async obtain(transport: TransportProtocol, host: string, port: number): Promise<SipConnection> {
    const key = remoteKey(transport, host, port);
    const existing = this.#byRemote.get(key);
    if (existing?.open) return existing;
    if (transport !== 'TCP' && transport !== 'TLS')
      throw new AppError('TRANSPORT_ERROR', `no open ${transport} connection to ${host}:${port}`);
    let pending = this.#connecting.get(key);
    if (!pending) {
      pending = this.#connect(transport, host, port).finally(() => this.#connecting.delete(key));
      this.#connecting.set(key, pending);
    }
    return pending;
  }

  /** Destroy every connection. */
  destroyAll(): void {
    for (const conn of [...this.#byId.values()]) conn.destroy();
  }

  #connect(transport: 'TCP' | 'TLS', host: string, port: number): Promise<SipConnection> {
    const tls = this.#options.tls;
    if (transport === 'TLS' && !tls) return Promise.reject(new AppError('TRANSPORT_ERROR', 'TLS is not configured'));
    return new Promise((resolve, reject) => {
      const socket =
        transport === 'TLS'
          ? tlsConnect({
              host,
              port,
              ...(isIP(host) === 0 ? { servername: host } : {}),
              ...(tls?.ca !== undefined ? { ca: tls.ca } : {}),
              rejectUnauthorized: tls?.rejectUnauthorized ?? true,
            })
          : netConnect({ host, port });
      const timer = this.#options.clock.setTimeout(
        () => socket.destroy(new AppError('TRANSPORT_ERROR', `connect to ${host}:${port} timed out`)),
        this.#options.connectTimeoutMs,
      );
      const fail = (err: Error): void => {
        this.#options.clock.clearTimeout(timer);
        reject(err);
      };
      socket.once('error', fail);
      socket.once(transport === 'TLS' ? 'secureConnect' : 'connect', () => {
        this.#options.clock.clearTimeout(timer);
        socket.off('error', fail);
        this.#options.limits?.track(socket);
        const conn = this.adopt(socket, transport);
        // Also reachable under the name it was dialled by, which may differ from the address.
        const key = remoteKey(transport, host, port);
        this.#byRemote.set(key, conn);
        this.#dialledAs.set(conn.id, key);
        resolve(conn);
      });
    });
  }
}
