// The media side of one call leg, SIP-free (protocol tier: imports only media/, sdp/, shared/).
// telephony/ puts a MediaEndpoint behind each SIP leg; see docs/architecture.md.
export { MediaEndpoint } from './media-endpoint.ts';
export type {
  MediaEndpointOptions,
  MediaEndpointEvents,
  MediaDtmfEvent,
  SendDigitsOptions,
  MediaRecordOptions,
  MediaCodecName,
  MuteDirection,
  PlayOutcome,
  LegTapListener,
  HeardPacketListener,
} from './media-endpoint.ts';
export { LegOutput } from './leg-output.ts';
export { LegRelay } from './leg-relay.ts';
export type { RelayLeg, RelayCounts } from './leg-relay.ts';
