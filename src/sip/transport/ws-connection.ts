import { AppError } from '../../shared/index.ts';
import { isUtf8 } from 'node:buffer';
import type { WebSocket } from 'ws';
import { newConnectionId } from './sip-connection.ts';
import type { ConnectionCallbacks, SipConnection } from './sip-connection.ts';
import type { HostPort } from './transport-types.ts';

/** A SIP-over-WebSocket connection (RFC 7118): exactly one SIP message per frame. */
export class WsConnection implements SipConnection {
  readonly id: string;
  readonly transport: 'WS' | 'WSS';
  readonly remote: HostPort;
  readonly local: HostPort;
  readonly #ws: WebSocket;
  #open = true;

  constructor(ws: WebSocket, transport: 'WS' | 'WSS', remote: HostPort, local: HostPort, callbacks: ConnectionCallbacks) {
    this.id = newConnectionId(transport);
    this.transport = transport;
    this.remote = remote;
    this.local = local;
    this.#ws = ws;
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => callbacks.onMessage(this, toBuffer(data)));
    // An error is always followed by 'close', which is where the transport hears of it.
    ws.on('error', () => {});
    ws.on('close', () => {
      if (!this.#open) return;
      this.#open = false;
      callbacks.onClose(this);
    });
  }

  /** False once closed by either side. */
  get open(): boolean {
    return this.#open;
  }

  /** Send one message as one frame: text when it is valid UTF-8 (RFC 7118 §5.1), else binary. */
  send(bytes: Buffer): Promise<void> {
    if (!this.#open) return Promise.reject(new AppError('TRANSPORT_ERROR', `connection ${this.id} is closed`));
    return new Promise((resolve, reject) => {
      this.#ws.send(bytes, { binary: !isUtf8(bytes) }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Close with a normal closure code. */
  end(): void {
    this.#ws.close(1000);
  }

  /** Close at once. */
  destroy(): void {
    this.#ws.terminate();
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
