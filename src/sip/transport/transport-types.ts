import type { SipMessage } from '../message/index.ts';

/** A SIP transport protocol as written in Via (RFC 3261 §18, RFC 7118 for WS/WSS). */
export type TransportProtocol = 'UDP' | 'TCP' | 'TLS' | 'WS' | 'WSS';

/** An IP address and port. */
export interface HostPort {
  address: string;
  port: number;
}

/** Where an inbound message came from and on which local socket it arrived. */
export interface MessageSource {
  transport: TransportProtocol;
  address: string;
  port: number;
  /** The stream connection it arrived on (TCP/TLS/WS). */
  connectionId?: string;
  local: HostPort;
}

/** Where to send a message. `connectionId` pins a stream connection when it is still open. */
export interface SendDestination {
  transport: TransportProtocol;
  host: string;
  port: number;
  connectionId?: string;
}

/** Counters exported as metrics. */
export interface TransportStats {
  /** Messages (datagrams, frames) received, malformed ones included. */
  received: number;
  /** Messages handed to the network successfully. */
  sent: number;
  /** Inbound messages that could not be parsed or framed. */
  malformed: number;
  /** Sends that failed with TRANSPORT_ERROR. */
  sendErrors: number;
  /** Stream connections currently open. */
  connections: number;
  /** Inbound connections closed at once because the connection table was full. */
  refusedTotal: number;
  /** Inbound connections closed at once because their source already had its share. */
  refusedPerSource: number;
  /** Connections closed after the idle timeout without a whole message or keep-alive. */
  closedIdle: number;
  /** Connections closed because a message (or a TLS handshake, WebSocket upgrade) missed its deadline. */
  closedDeadline: number;
}

/** Why an inbound message was refused. */
export interface MalformedInfo {
  source: MessageSource;
  reason: string;
  /** Status of the error response sent back, when one was. */
  answeredWith?: number;
}

/** The far end of a message sent or received: its transport, address and port. */
export interface MessagePeer {
  transport: TransportProtocol;
  address: string;
  port: number;
}

/**
 * Sees each message a transport receives (parsed, before anyone handles it) or has sent (after the
 * network took it): `bytes` is the message as on the wire. Observers run inline and must be cheap
 * and never throw (docs/timeline.md "SIP ladder").
 */
export type SipMessageObserver = (msg: SipMessage, direction: 'in' | 'out', peer: MessagePeer, bytes: Buffer) => void;

/** Events of a SipTransport. */
export type SipTransportEvents = {
  message: [msg: SipMessage, source: MessageSource];
  malformed: [info: MalformedInfo];
};

/** True for transports that deliver reliably (no SIP-level retransmission, RFC 3261 §17). */
export function isReliable(transport: TransportProtocol): boolean {
  return transport !== 'UDP';
}

/** RFC 3261 §19.1.2 / RFC 7118: the port used when a Via or URI gives none. */
export function defaultPort(transport: TransportProtocol): number {
  if (transport === 'TLS') return 5061;
  if (transport === 'WS') return 80;
  if (transport === 'WSS') return 443;
  return 5060;
}

/** Node reports IPv4 peers of dual-stack sockets as `::ffff:a.b.c.d`; SIP wants `a.b.c.d`. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
