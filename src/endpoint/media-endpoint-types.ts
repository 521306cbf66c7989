import type { Clock } from '../shared/index.ts';
import type { DtmfEvent, LegRecorderOptions, MediaClock, PortAllocator, WebRtcState } from '../media/index.ts';
import type { MediaCodecName } from './media-sdp-session.ts';

/** What every MediaEndpoint needs, for either SDP role. */
export interface MediaEndpointOptions {
  /** Hands out the leg's RTP/RTCP port pair. */
  allocator: PortAllocator;
  /** IP address written into our SDP (`c=` and `o=`). */
  address: string;
  /** The shared 20 ms clock that paces sending, receiving and recording; started if it is not running. */
  mediaClock: MediaClock;
  /** Timers of DTMF generation, RTCP and recording (default the system clock). */
  clock?: Clock;
  /** Codecs in our preference order (default `['PCMU', 'PCMA']`). */
  codecs?: readonly MediaCodecName[];
}

/** A key press heard on the leg and how it came. */
export interface MediaDtmfEvent extends DtmfEvent {
  via: 'rfc4733' | 'info';
}

/** Events of a MediaEndpoint. */
export type MediaEndpointEvents = {
  dtmf: [event: MediaDtmfEvent];
  /** The SDP plan, codec, mute or DTMF sending changed: what a relay into or out of the leg follows. */
  state: [];
  /** ICE/DTLS state of a WebRTC leg changed (docs/webrtc.md "The WebRTC leg"); `failed` is final. */
  webrtc: [state: WebRtcState];
  closed: [];
};

/** Which audio directions are muted: `in` = the endpoint hears nothing from us, `out` = what it says is dropped. */
export type MuteDirection = 'in' | 'out' | 'both' | 'none';

/** Options of MediaEndpoint.sendDigits. */
export interface SendDigitsOptions {
  /** Tone length of each digit (default 100 ms). */
  durationMs?: number;
  /** Pause between digits (default 60 ms). */
  intervalMs?: number;
}

/** Options of MediaEndpoint.record: a LegRecorder's options less the clock, which the endpoint gives. */
export type MediaRecordOptions = Omit<LegRecorderOptions, 'clock'>;
