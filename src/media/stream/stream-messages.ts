import { AppError } from '../../shared/index.ts';
import type { StreamFormat } from './stream-audio.ts';

/*
 * The JSON text messages of a media stream: those callbin sends the bot and a strict parser of those
 * the bot sends back (the message protocol of Twilio Media Streams, plus callbin's `continue`).
 * Numbers the protocol carries as strings (sequenceNumber, chunk, timestamp) are strings here too.
 */

/** A track of the call's audio: `inbound` what the caller says, `outbound` what the caller hears. */
export type StreamTrack = 'inbound' | 'outbound';

/** What the `start` message tells the bot. */
export interface StreamStartInfo {
  streamSid: string;
  accountSid: string;
  callSid: string;
  tracks: StreamTrack[];
  customParameters: Record<string, string>;
  callbin: { call_id: string; activeflow_id: string; stream_id: string; variables: Record<string, string> };
}

/** Duration of one media chunk in milliseconds. */
export const CHUNK_MS = 20;
/** Longest mark name a bot may send. */
export const MAX_MARK_NAME = 256;
/** Most variables a `continue` may hand back. */
export const MAX_CONTINUE_VARIABLES = 100;
/** Longest variable name in a `continue`. */
export const MAX_VARIABLE_NAME = 64;
/** Longest variable value in a `continue`. */
export const MAX_VARIABLE_VALUE = 4096;

const MEDIA_FORMATS = {
  ulaw: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
  slin16: { encoding: 'audio/l16', sampleRate: 16000, channels: 1 },
} as const;

/** The first message, before `start`; it has no sequence number. */
export function connectedMessage(): string {
  return '{"event":"connected","protocol":"Call","version":"1.0.0"}';
}

/** The `start` message (its sequence number is 1 in a stream). */
export function startMessage(sequenceNumber: number, info: StreamStartInfo, format: StreamFormat): string {
  return JSON.stringify({
    event: 'start',
    sequenceNumber: String(sequenceNumber),
    streamSid: info.streamSid,
    start: {
      streamSid: info.streamSid,
      accountSid: info.accountSid,
      callSid: info.callSid,
      tracks: info.tracks,
      customParameters: info.customParameters,
      mediaFormat: MEDIA_FORMATS[format],
      callbin: {
        call_id: info.callbin.call_id,
        activeflow_id: info.callbin.activeflow_id,
        stream_id: info.callbin.stream_id,
        variables: info.callbin.variables,
      },
    },
  });
}

/**
 * A `media` message: 20 ms of audio of one track, `chunk` counting that track's chunks from 1, the
 * timestamp `(chunk - 1) * 20` ms; `payloadBase64` is the audio in the stream's format.
 */
export function mediaMessage(
  sequenceNumber: number,
  streamSid: string,
  track: StreamTrack,
  chunk: number,
  payloadBase64: string,
): string {
  // Built as text: the payload is base64 and the numbers are digits, so only the id needs escaping.
  return (
    `{"event":"media","sequenceNumber":"${sequenceNumber}","streamSid":${JSON.stringify(streamSid)},` +
    `"media":{"track":"${track}","chunk":"${chunk}","timestamp":"${(chunk - 1) * CHUNK_MS}",` +
    `"payload":"${payloadBase64}"}}`
  );
}

/** A `dtmf` message for a digit the caller pressed. */
export function dtmfMessage(sequenceNumber: number, streamSid: string, digit: string): string {
  return JSON.stringify({
    event: 'dtmf',
    sequenceNumber: String(sequenceNumber),
    streamSid,
    dtmf: { track: 'inbound_track', digit },
  });
}

/** A `mark` message: the bot's audio queued before the mark `name` has been played (or cleared). */
export function markMessage(sequenceNumber: number, streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', sequenceNumber: String(sequenceNumber), streamSid, mark: { name } });
}

/** The `stop` message, the last one before the socket is closed. */
export function stopMessage(
  sequenceNumber: number,
  streamSid: string,
  ids: { accountSid: string; callSid: string },
  reason: string,
): string {
  return JSON.stringify({
    event: 'stop',
    sequenceNumber: String(sequenceNumber),
    streamSid,
    stop: { accountSid: ids.accountSid, callSid: ids.callSid, reason },
  });
}

/** A message of the bot, parsed and checked. */
export type BotMessage =
  /** Audio to play, decoded from base64 (still in the stream's wire format). */
  | { event: 'media'; payload: Buffer }
  | { event: 'mark'; name: string }
  | { event: 'clear' }
  | { event: 'continue'; variables: Record<string, string> };

/** What the parser checks a message against. */
export interface BotMessageContext {
  /** The stream's id: a message carrying another `streamSid` is refused; undefined before `start`. */
  streamSid: string | undefined;
  format: StreamFormat;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function refuse(reason: string): never {
  throw new AppError('STREAM_PROTOCOL_ERROR', reason);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectField(message: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = message[name];
  if (!isObject(value)) refuse(`${name} is not an object`);
  return value;
}

function parsePayload(media: Record<string, unknown>, format: StreamFormat): Buffer {
  const payload = media['payload'];
  if (typeof payload !== 'string') refuse('media.payload is not a string');
  if (payload.length % 4 !== 0 || !BASE64.test(payload)) refuse('media.payload is not base64');
  const bytes = Buffer.from(payload, 'base64');
  if (format === 'slin16' && bytes.length % 2 !== 0) refuse('media.payload is not whole 16-bit samples');
  return bytes;
}

function parseVariables(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) refuse('variables is not an object');
  const entries = Object.entries(value);
  if (entries.length > MAX_CONTINUE_VARIABLES) refuse(`more than ${MAX_CONTINUE_VARIABLES} variables`);
  for (const [name, v] of entries) {
    if (name.length === 0 || name.length > MAX_VARIABLE_NAME) refuse('a variable name is empty or too long');
    if (typeof v !== 'string') refuse(`variable ${name} is not a string`);
    if (v.length > MAX_VARIABLE_VALUE) refuse(`variable ${name} is too long`);
  }
  // fromEntries defines own properties, so a `__proto__` name stays a plain key.
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * Parses one text frame of the bot. Throws AppError `STREAM_PROTOCOL_ERROR` with a short reason for
 * text that is not JSON, an unknown event, a field of the wrong type, another stream's `streamSid`,
 * audio that is not whole samples, a mark name that is empty or too long, or variables beyond the bounds.
 */
export function parseBotMessage(text: string, context: BotMessageContext): BotMessage {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    refuse('not JSON');
  }
  if (!isObject(message)) refuse('not a JSON object');
  const event = message['event'];
  if (typeof event !== 'string') refuse('event is not a string');
  const sid = message['streamSid'];
  if (sid !== undefined) {
    if (typeof sid !== 'string') refuse('streamSid is not a string');
    if (context.streamSid !== undefined && sid !== context.streamSid) refuse('streamSid is not this stream');
  }
  switch (event) {
    case 'media':
      return { event, payload: parsePayload(objectField(message, 'media'), context.format) };
    case 'mark': {
      const name = objectField(message, 'mark')['name'];
      if (typeof name !== 'string') refuse('mark.name is not a string');
      if (name.length === 0 || name.length > MAX_MARK_NAME) refuse('mark.name is empty or too long');
      return { event, name };
    }
    case 'clear':
      return { event };
    case 'continue':
      return { event, variables: parseVariables(message['variables']) };
    default:
      return refuse(`unknown event ${JSON.stringify(event.slice(0, 32))}`);
  }
}
