import type { WatchdogExpiry } from './connection-watchdog.ts';
import type { HostPort, TransportProtocol } from './transport-types.ts';

/** One open stream connection (TCP, TLS or WebSocket) as the transport sees it. */
export interface SipConnection {
  readonly id: string;
  readonly transport: TransportProtocol;
  readonly remote: HostPort;
  readonly local: HostPort;
  /** False once closed by either side. */
  readonly open: boolean;
  /** Write one whole message; rejects when the connection is gone. */
  send(bytes: Buffer): Promise<void>;
  /** Close after pending writes are flushed. */
  end(): void;
  /** Close at once. */
  destroy(): void;
}

/** What a connection reports to its transport. */
export interface ConnectionCallbacks {
  /** One framed message arrived. */
  onMessage(conn: SipConnection, bytes: Buffer): void;
  /** The stream broke framing rules; `header` is the header block when one was complete. */
  onFramingError(conn: SipConnection, reason: string, header: Buffer | undefined): void;
  /** The connection is being closed by its idle timeout or message deadline (`onClose` follows). */
  onTimeout(conn: SipConnection, why: WatchdogExpiry): void;
  /** The connection closed, for whatever reason. */
  onClose(conn: SipConnection): void;
}

let nextConnection = 0;

/** A process-unique connection id (`tcp-12`). */
export function newConnectionId(transport: TransportProtocol): string {
  nextConnection += 1;
  return `${transport.toLowerCase()}-${nextConnection}`;
}
