import { AppError } from '../../shared/index.ts';
import { isUtf8 } from 'node:buffer';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { ConnectionWatchdog } from './connection-watchdog.ts';
import type { WatchdogOptions } from './connection-watchdog.ts';
import { newConnectionId } from './sip-connection.ts';
import type { ConnectionCallbacks, SipConnection } from './sip-connection.ts';
import type { HostPort } from './transport-types.ts';

/**
 * A SIP-over-WebSocket connection (RFC 7118): exactly one SIP message per frame, with the idle
 * timeout and message deadline of stream connections (a frame trickled byte by byte is a message
 * that never completes).
 */
export class WsConnection implements SipConnection {
  readonly id: string;
  readonly transport: 'WS' | 'WSS';
  readonly remote: HostPort;
  readonly local: HostPort;
  readonly #ws: WebSocket;
  readonly #watchdog: ConnectionWatchdog;
  #open = true;

  /** `raw` is the upgraded socket under `ws`: its bytes start the message deadline. */
  constructor(
    ws: WebSocket,
    raw: Duplex,
    transport: 'WS' | 'WSS',
    remote: HostPort,
    local: HostPort,
    callbacks: ConnectionCallbacks,
    limits: WatchdogOptions,
  ) {
    this.id = newConnectionId(transport);
    this.transport = transport;
    this.remote = remote;
    this.local = local;
    this.#ws = ws;
    this.#watchdog = new ConnectionWatchdog(limits, (why) => {
      callbacks.onTimeout(this, why);
      ws.terminate();
    });
    // Runs before the WebSocket parser reads the chunk, so a frame it completes clears the deadline again.
    const onRaw = (): void => this.#watchdog.started();
    raw.prependListener('data', onRaw);
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      this.#watchdog.completed();
      const bytes = toBuffer(data);
      callbacks.onMessage(this, bytes);
      // RFC 7118 §5.1: every frame is one SIP message. A frame that does not even start like one
      // cannot be answered (no Via): the peer does not speak SIP, so close instead of ignoring it.
      if (!startsLikeSip(bytes)) ws.close(WS_PROTOCOL_ERROR, 'not a SIP message');
    });
    ws.on('ping', () => this.#watchdog.completed());
    ws.on('pong', () => this.#watchdog.completed());
    // An error is always followed by 'close', which is where the transport hears of it.
    ws.on('error', () => {});
    ws.on('close', () => {
      if (!this.#open) return;
      this.#open = false;
      this.#watchdog.stop();
      raw.off('data', onRaw);
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
    this.#watchdog.completed();
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

/** RFC 6455 §7.4.1: "terminating the connection due to a protocol error". */
const WS_PROTOCOL_ERROR = 1002;

// A request line (RFC 3261 §25.1 token method) or a status line, after optional leading CRLFs.
const START_LINE = /^\s*(?:SIP\/2\.0 \d{3} |[A-Za-z0-9.!%*_+`'~-]+ \S+ SIP\/2\.0\r?\n)/i;

/** True for a frame that starts with a SIP start line, or is only whitespace (a keep-alive). */
export function startsLikeSip(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 512).toString('latin1');
  return head.trim() === '' || START_LINE.test(head);
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
