import { AppError } from '../../shared/index.ts';
import type { Socket } from 'node:net';
import { ConnectionWatchdog } from './connection-watchdog.ts';
import type { WatchdogOptions } from './connection-watchdog.ts';
import { StreamFramer } from './stream-framer.ts';
import type { StreamFramerOptions } from './stream-framer.ts';
import { newConnectionId } from './sip-connection.ts';
import type { ConnectionCallbacks, SipConnection } from './sip-connection.ts';
import { normalizeAddress } from './transport-types.ts';
import type { HostPort, TransportProtocol } from './transport-types.ts';

const PONG = Buffer.from('\r\n');

/** Options of a TCP/TLS connection. */
export interface StreamConnectionOptions extends StreamFramerOptions, WatchdogOptions {
  callbacks: ConnectionCallbacks;
}

/** A TCP or TLS socket carrying SIP: its own framer, keep-alive answers, idle timeout and message deadline. */
export class StreamConnection implements SipConnection {
  readonly id: string;
  readonly transport: TransportProtocol;
  readonly remote: HostPort;
  readonly local: HostPort;
  readonly #socket: Socket;
  readonly #framer: StreamFramer;
  readonly #options: StreamConnectionOptions;
  readonly #watchdog: ConnectionWatchdog;
  #open = true;

  constructor(socket: Socket, transport: 'TCP' | 'TLS', options: StreamConnectionOptions) {
    this.id = newConnectionId(transport);
    this.transport = transport;
    this.#socket = socket;
    this.#options = options;
    this.#framer = new StreamFramer(options);
    this.remote = { address: normalizeAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    this.local = { address: normalizeAddress(socket.localAddress ?? ''), port: socket.localPort ?? 0 };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    // A socket error is always followed by 'close', which is where the transport hears of it.
    socket.on('error', () => {});
    socket.on('close', () => this.#onClose());
    this.#watchdog = new ConnectionWatchdog(options, (why) => {
      options.callbacks.onTimeout(this, why);
      socket.destroy();
    });
  }

  /** False once closed by either side. */
  get open(): boolean {
    return this.#open;
  }

  /** Write one whole message; rejects when the socket is gone. */
  send(bytes: Buffer): Promise<void> {
    if (!this.#open || this.#socket.destroyed)
      return Promise.reject(new AppError('TRANSPORT_ERROR', `connection ${this.id} is closed`));
    this.#watchdog.completed();
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Close after pending writes are flushed. */
  end(): void {
    this.#socket.end();
  }

  /** Close at once. */
  destroy(): void {
    this.#socket.destroy();
  }

  // Single bytes are not activity: only whole messages and keep-alives restart the idle timeout.
  #onData(chunk: Buffer): void {
    for (const item of this.#framer.push(chunk)) {
      if (item.kind !== 'error') this.#watchdog.completed();
      if (item.kind === 'message') this.#options.callbacks.onMessage(this, item.bytes);
      // RFC 5626 §3.5.1: a CRLFCRLF ping is answered with a single CRLF pong.
      else if (item.kind === 'ping') this.#socket.write(PONG);
      else this.#options.callbacks.onFramingError(this, item.reason, item.header);
    }
    if (this.#open && this.#framer.messageStarted) this.#watchdog.started();
  }

  #onClose(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#watchdog.stop();
    this.#options.callbacks.onClose(this);
  }
}
