/** Media direction attribute of RFC 4566 §6 / RFC 3264 §5.1. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** Media type of an `m=` line. */
export type MediaType = 'audio' | 'video' | 'application' | 'text' | 'message';

/** One payload format of an `m=` line with its `rtpmap` and `fmtp` parameters. */
export interface RtpFormat {
  /** RTP payload type number (0–127). */
  pt: number;
  /** Encoding name as written in `rtpmap`, e.g. `PCMU`, `opus`, `telephone-event`. */
  name: string;
  /** RTP clock rate in Hz. */
  clockRate: number;
  /** Number of audio channels when the `rtpmap` carries one. */
  channels?: number;
  /** The `fmtp` parameter string, e.g. `0-16` or `minptime=10;useinbandfec=1`. */
  fmtp?: string;
}

/** An attribute the model does not interpret, kept verbatim for round trips (`a=name:value`). */
export interface SdpAttribute {
  /** Attribute name, e.g. `ice-ufrag`, `rtcp-mux`. */
  name: string;
  /** Attribute value after the first colon; absent for flag attributes. */
  value?: string;
}

/** The `o=` line of RFC 4566 §5.2. */
export interface SdpOrigin {
  username: string;
  /** Kept as a decimal string: browsers use 64-bit values that do not fit a JS number. */
  sessionId: string;
  sessionVersion: number;
  address: string;
}

/** One `m=` section. */
export interface MediaDescription {
  type: MediaType | (string & {});
  /** Transport port; 0 means the stream is rejected or disabled (RFC 3264 §6). */
  port: number;
  /** Transport protocol, e.g. `RTP/AVP`, `RTP/SAVPF`, `UDP/TLS/RTP/SAVPF`. */
  protocol: string;
  formats: RtpFormat[];
  /** Non-RTP format tokens of the `m=` line, e.g. `webrtc-datachannel`. */
  otherFormats?: string[];
  /** Effective direction: the media attribute, else the session attribute, else `sendrecv`. */
  direction: MediaDirection;
  /** Media-level `c=` address, when present. */
  connectionAddress?: string;
  /** Packetization time in milliseconds (`a=ptime`). */
  ptime?: number;
  /** RTCP port from `a=rtcp` (RFC 3605). */
  rtcpPort?: number;
  /** Every other media-level attribute, in order. */
  attributes: SdpAttribute[];
}

/** A whole session description. */
export interface SessionDescription {
  origin: SdpOrigin;
  /** The `s=` line; `-` when absent. */
  sessionName: string;
  /** Session-level `c=` address, when present. */
  connectionAddress?: string;
  media: MediaDescription[];
  /** Every other session-level attribute, in order. */
  attributes: SdpAttribute[];
}

/** A codec as chosen by negotiation. */
export interface NegotiatedCodec {
  pt: number;
  name: string;
  clockRate: number;
  channels?: number;
  fmtp?: string;
}

/** Codec names callbin can send and receive. */
export type CodecName = 'PCMU' | 'PCMA' | 'opus';
