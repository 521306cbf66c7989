export { SipTransport } from './sip-transport.ts';
export type { SipTransportOptions, ListenOptions, WsListenOptions } from './sip-transport.ts';
export type { TlsOptions } from './connection-pool.ts';
export { StreamFramer, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_HEADER_BYTES } from './stream-framer.ts';
export type { StreamFramerOptions, FramedItem, FramingErrorReason } from './stream-framer.ts';
export { responseDestination } from './response-destination.ts';
export { stampReceived } from './via-received.ts';
export { isReliable, defaultPort } from './transport-types.ts';
export type {
  TransportProtocol,
  HostPort,
  MessageSource,
  SendDestination,
  TransportStats,
  MalformedInfo,
  MessagePeer,
  SipMessageObserver,
  SipTransportEvents,
} from './transport-types.ts';
