/*
 * Media streams (docs/media-streams.md): a call's audio sent in real time to a customer's WebSocket
 * (the bot), and the bot's audio played back into the call. VoIPBIN names the resource
 * `external_media`; the wire protocol is the JSON message protocol of Twilio Media Streams.
 */

/** Audio formats on the wire: µ-law 8 kHz (default) or 16-bit linear PCM 16 kHz little-endian. */
export const MEDIA_STREAM_FORMATS = ['ulaw', 'slin16'] as const;
export type MediaStreamFormat = (typeof MEDIA_STREAM_FORMATS)[number];

/** Which audio the bot hears: `in` the caller (default), `out` what callbin sends the caller, `both`; `""` none. */
export const MEDIA_STREAM_LISTEN = ['in', 'out', 'both', ''] as const;
export type MediaStreamListen = (typeof MEDIA_STREAM_LISTEN)[number];

/** `in`: the bot's audio is played to the call (default for a WebSocket); `""`: the bot only listens. */
export const MEDIA_STREAM_SPEAK = ['in', ''] as const;
export type MediaStreamSpeak = (typeof MEDIA_STREAM_SPEAK)[number];

/** Why a stream ended (`stop_reason`). */
export const MEDIA_STREAM_STOP_REASONS = [
  /** `external_media_stop`, `DELETE /calls/{id}/external_media`, or the flow moved on and stopped it. */
  'stopped',
  /** The call hung up: the bot got `stop` and the socket was closed. */
  'hangup',
  /** The bot closed the socket. */
  'bot_closed',
  /** The bot sent `{"event":"continue"}`: the flow goes on, with the variables it sent. */
  'bot_continue',
  /** The connection could not be made (refused, DNS, TLS, a non-101 answer). */
  'connect_failed',
  /** The bot accepted the TCP connection but did not complete the WebSocket handshake in time. */
  'handshake_timeout',
  /** The bot stopped answering pings (a stalled reader). */
  'stalled',
  /** The bot sent a message that is not JSON of the protocol, or binary data. */
  'protocol_error',
  /** The bot sent a frame larger than allowed. */
  'frame_too_large',
  /** The bot queued more audio than allowed ahead of playback. */
  'playback_overflow',
  /** callbin shut down. */
  'shutdown',
] as const;
export type MediaStreamStopReason = (typeof MEDIA_STREAM_STOP_REASONS)[number];

/** Statuses of a stream: `connecting` → `running` → `stopped` (or `connecting` → `stopped`). */
export type MediaStreamStatus = 'connecting' | 'running' | 'stopped';

/** The public `external_media` resource, as events carry it and the API returns it. */
export interface MediaStream {
  id: string;
  customer_id: string;
  reference_type: 'call';
  /** The call id. */
  reference_id: string;
  /** The activeflow that started it; the nil UUID when started through the API. */
  activeflow_id: string;
  status: MediaStreamStatus;
  transport: 'websocket';
  encapsulation: 'none';
  /** The URL without user info, query or fragment (those may carry the bot's secrets). */
  external_host: string;
  format: MediaStreamFormat;
  direction_listen: MediaStreamListen;
  direction_speak: MediaStreamSpeak;
  /** `""` until stopped. */
  stop_reason: MediaStreamStopReason | '';
  tm_create: string;
  /** When the bot accepted the socket; `""` before. */
  tm_start: string;
  /** When it stopped; `""` before. */
  tm_end: string;
}

/** What starts a stream (the action's or the API body's options, resolved). */
export interface MediaStreamRequest {
  /** `ws://` or `wss://` URL, query included (kept in memory only). */
  url: string;
  format: MediaStreamFormat;
  listen: MediaStreamListen;
  speak: MediaStreamSpeak;
  /** Handed to the bot in `start.customParameters`. */
  custom_parameters: Record<string, string>;
  /** Flow variables handed to the bot in `start.callbin.variables`. */
  variables: Record<string, string>;
  /** The nil UUID when started through the API. */
  activeflow_id: string;
}

/** How a stream ended, for a flow that waits on it. */
export interface MediaStreamEnd {
  reason: MediaStreamStopReason;
  /** Variables the bot handed back with `continue` (empty otherwise). */
  variables: Record<string, string>;
}

/** A started stream: its resource as it is once connected (or failed), and when it ends. */
export interface StartedMediaStream {
  stream: MediaStream;
  ended: Promise<MediaStreamEnd>;
}

/** Most streams one call may have at once (at most one of them speaking). */
export const MAX_STREAMS_PER_CALL = 4;

/** The call a stream belongs to. */
export interface MediaStreamOwner {
  call_id: string;
  customer_id: string;
}

/** Which audio a read-only listener of `GET /calls/{id}/media_stream` gets. */
export type ListenTrack = 'in' | 'out' | 'both';

/** Media streams of live legs; the telephony adapter implements it. */
export interface MediaStreamPort {
  /**
   * Opens a stream on the leg; resolves once the bot accepted the socket and got `connected` and
   * `start` (status `running`), or once connecting failed (status `stopped` with its reason).
   * Throws ValidationError (`external_host`, `INVALID_STREAM_URL`) for an address the SSRF rules
   * refuse, and 409 `MEDIA_STREAM_LIMIT` past {@link MAX_STREAMS_PER_CALL} or a second speaking stream.
   */
  start(legId: string, owner: MediaStreamOwner, request: MediaStreamRequest): Promise<StartedMediaStream>;
  /** Stops one stream of the call, or all of them without `streamId`; resolves with those stopped (404 `MEDIA_STREAM_NOT_FOUND` for an unknown id). */
  stop(callId: string, streamId?: string): Promise<MediaStream[]>;
  /** The call's streams that have not stopped. */
  list(callId: string): MediaStream[];
  /**
   * A read-only listener: `onFrame` gets every 20 ms frame of 8 kHz PCM (160 samples, reused after
   * the call) of the chosen track until the returned function is called or the leg ends (`onEnd`).
   */
  listen(legId: string, track: ListenTrack, onFrame: (pcm: Int16Array) => void, onEnd: () => void): () => void;
}

/** Most characters of a stream's URL. */
export const MAX_STREAM_URL_CHARS = 2048;
/** Most keys of the custom parameters a JSON `data` gives the bot. */
export const MAX_STREAM_CUSTOM_PARAMETERS = 32;

/**
 * Why `url` cannot be a stream's address (docs/media-streams.md "Starting a stream"), or undefined:
 * an absolute ws:// or wss:// URL with a host and no fragment, at most {@link MAX_STREAM_URL_CHARS}.
 */
export function streamUrlProblem(url: string): string | undefined {
  if (url.length > MAX_STREAM_URL_CHARS) return `is longer than ${MAX_STREAM_URL_CHARS} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // URL signals a malformed address only by throwing: that is the answer, not a failure.
    return `${JSON.stringify(url.slice(0, 80))} is not an absolute URL`;
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')
    return `has the scheme ${parsed.protocol} but only ws and wss are streamed to`;
  if (parsed.hostname === '') return 'has no host';
  if (parsed.hash !== '') return 'has a fragment, which a WebSocket URL may not carry';
  return undefined;
}

const isScalar = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * `data` (VoIPBIN's option, a string) as the bot's `start.customParameters`: a JSON object whose
 * values are all strings, numbers or booleans, with at most {@link MAX_STREAM_CUSTOM_PARAMETERS}
 * keys, gives its entries (values as strings); `""` gives none; any other string is handed over
 * whole as `{data: <it>}`.
 */
export function streamCustomParameters(data: string): Record<string, string> {
  if (data === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    // Text that is not JSON is plain data: that is the answer, not a failure.
    return { data };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { data };
  const entries = Object.entries(parsed);
  if (entries.length > MAX_STREAM_CUSTOM_PARAMETERS || !entries.every(([, v]) => isScalar(v))) return { data };
  return Object.fromEntries(entries.map(([k, v]) => [k, String(v)]));
}
