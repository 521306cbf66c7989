import { Type } from 'typebox';
import type { Static } from 'typebox';
import {
  MAX_STREAM_URL_CHARS,
  MEDIA_STREAM_FORMATS,
  MEDIA_STREAM_LISTEN,
  MEDIA_STREAM_SPEAK,
  streamCustomParameters,
  streamUrlProblem,
} from '../../calls/index.ts';
import type { MediaStreamEnd, MediaStreamRequest } from '../../calls/index.ts';
import { ValidationError } from '../../shared/index.ts';
import { RESERVED_VARIABLE_PREFIX } from '../variables.ts';
import { defineAction } from './action-definition.ts';
import type { ActionContext, OptionIssue } from './action-definition.ts';
import { answeredCall } from './call-media.ts';

/*
 * `external_media_start` (docs/flows.md "Media streams", docs/media-streams.md): the call's audio
 * goes to the customer's WebSocket (the bot) and the bot's audio is played into the call. Option
 * names are VoIPBIN's; `variables` and `sync` are callbin's own.
 */

/** The variable holding the id of the stream the action started. */
export const EXTERNAL_MEDIA_ID_VARIABLE = 'voipbin.external_media.id';

/** The variable holding why the stream ended (or failed to connect); `""` while it runs. */
export const EXTERNAL_MEDIA_STOP_REASON_VARIABLE = 'voipbin.external_media.stop_reason';

/** Longest `data`, in characters. */
export const MAX_STREAM_DATA_CHARS = 4096;

/** Most variables named in `variables`. */
export const MAX_STREAM_VARIABLES = 32;

/** Shape of a ws(s) URL before substitution; the parsed URL is checked again when the action runs. */
const WS_URL_PATTERN = '^[Ww][Ss][Ss]?://[^\\s/?#]+[^\\s]*$';

const schema = Type.Object(
  {
    external_host: Type.String({
      pattern: WS_URL_PATTERN,
      maxLength: MAX_STREAM_URL_CHARS,
      description: "the bot's address: a ws:// or wss:// URL",
      'x-reason': 'INVALID_STREAM_URL',
    }),
    transport: Type.Optional(Type.Enum(['websocket', 'udp'], { description: 'only "websocket" [websocket]' })),
    encapsulation: Type.Optional(
      Type.Enum(['none', '', 'rtp', 'audiosocket', 'sln'], { description: 'only "none" or "" [none]' }),
    ),
    connection_type: Type.Optional(Type.Enum(['client'], { description: 'callbin connects to the bot [client]' })),
    format: Type.Optional(Type.Enum([...MEDIA_STREAM_FORMATS], { description: 'audio on the wire [ulaw]' })),
    direction_listen: Type.Optional(
      Type.Enum([...MEDIA_STREAM_LISTEN], { description: 'audio the bot hears: in, out, both or "" [in]' }),
    ),
    direction_speak: Type.Optional(
      Type.Enum([...MEDIA_STREAM_SPEAK], { description: 'in: the bot\'s audio is played to the call; "" [in]' }),
    ),
    data: Type.Optional(
      Type.String({
        maxLength: MAX_STREAM_DATA_CHARS,
        description: 'custom parameters: a JSON object of string, number or boolean values, or any text',
      }),
    ),
    variables: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        maxItems: MAX_STREAM_VARIABLES,
        description: 'names of flow variables whose values the bot gets in its start message',
      }),
    ),
    sync: Type.Optional(Type.Boolean({ description: 'wait until the stream ends before moving on' })),
  },
  { additionalProperties: false },
);

/** The options of `external_media_start`. */
export type ExternalMediaStartOption = Static<typeof schema>;

/** VoIPBIN's encapsulations callbin does not speak, and why. */
const REFUSED_ENCAPSULATION = 'callbin streams JSON messages over a WebSocket only (use "none")';

/** Option values callbin refuses although VoIPBIN names them, and a bot that would neither hear nor speak. */
export function externalMediaOptionIssues(option: ExternalMediaStartOption): OptionIssue[] {
  const issues: OptionIssue[] = [];
  if (option.transport === 'udp')
    issues.push({ path: 'transport', message: 'RTP over UDP is not supported: use "websocket"' });
  const encapsulation = option.encapsulation ?? 'none';
  if (encapsulation !== 'none' && encapsulation !== '')
    issues.push({ path: 'encapsulation', message: `"${encapsulation}" is not supported: ${REFUSED_ENCAPSULATION}` });
  if (option.direction_listen === '' && option.direction_speak === '')
    issues.push({
      path: 'direction_listen',
      message: 'direction_listen and direction_speak are both "": the bot would neither hear nor speak',
    });
  return issues;
}

/** The checks of {@link externalMediaOptionIssues}, and an `external_host` without `${…}` that is no URL. */
function refineOption(option: ExternalMediaStartOption): OptionIssue[] {
  const issues = externalMediaOptionIssues(option);
  // An address with `${…}` is checked once substituted, when the action runs.
  const problem = option.external_host.includes('${') ? undefined : streamUrlProblem(option.external_host);
  if (problem !== undefined) issues.push({ path: 'external_host', message: problem });
  return issues;
}

/** `data` as the bot's custom parameters (`streamCustomParameters` of the calls module), after `${…}` substitution kept it within bounds. */
export function customParametersOfData(data: string): Record<string, string> {
  if (data.length > MAX_STREAM_DATA_CHARS)
    throw ValidationError.field(
      'data',
      'UNSUPPORTED_STREAM_OPTION',
      `is longer than ${MAX_STREAM_DATA_CHARS} characters`,
    );
  return streamCustomParameters(data);
}

/** The request for the port, from the substituted options; throws for what substitution made invalid. */
function streamRequest(ctx: ActionContext, option: ExternalMediaStartOption): MediaStreamRequest {
  const refused = externalMediaOptionIssues(option)[0];
  if (refused !== undefined) throw ValidationError.field(refused.path, 'UNSUPPORTED_STREAM_OPTION', refused.message);
  const problem = streamUrlProblem(option.external_host);
  if (problem !== undefined) throw ValidationError.field('external_host', 'INVALID_STREAM_URL', problem);
  const variables: Record<string, string> = {};
  for (const name of option.variables ?? []) variables[name] = ctx.variables.get(name);
  return {
    url: option.external_host,
    format: option.format ?? 'ulaw',
    listen: option.direction_listen ?? 'in',
    speak: option.direction_speak ?? 'in',
    custom_parameters: customParametersOfData(option.data ?? ''),
    variables,
    activeflow_id: ctx.activeflowId,
  };
}

/** Waits for the stream's end; rejects with the signal's reason when it aborts first. */
async function untilEnded(ended: Promise<MediaStreamEnd>, signal: AbortSignal): Promise<MediaStreamEnd> {
  if (signal.aborted) throw signal.reason;
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([ended, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Stops the call's streams after an abort; a failure there is logged, the abort is what matters. */
async function stopAfterAbort(ctx: ActionContext, callId: string): Promise<void> {
  try {
    await ctx.calls.mediaStreamStop(callId);
  } catch (err) {
    ctx.logger.warn({ err }, 'could not stop the media stream of an aborted flow action');
  }
}

/** Applies the end of a stream: its stop reason, then what the bot handed back (never `voipbin.` names). */
function applyEnd(ctx: ActionContext, end: MediaStreamEnd): void {
  ctx.variables.set(EXTERNAL_MEDIA_STOP_REASON_VARIABLE, end.reason);
  for (const [name, value] of Object.entries(end.variables)) {
    if (name === '' || name.startsWith(RESERVED_VARIABLE_PREFIX)) continue;
    ctx.variables.set(name, value);
  }
}

/**
 * `external_media_start`: stream the call's audio to the bot and play what it sends back. Sets
 * `voipbin.external_media.id` at once; a stream that failed to connect sets
 * `voipbin.external_media.stop_reason` and the flow goes on. Without `sync` the flow goes on at once
 * (the call's hangup ends the stream); with `sync` it waits for the end, then applies the stop reason
 * and the variables the bot sent with `continue`.
 */
export const externalMediaStartAction = defineAction({
  type: 'external_media_start',
  schema,
  needs: 'media',
  refine: refineOption,
  async run(ctx, option, signal) {
    const request = streamRequest(ctx, option);
    const callId = await answeredCall(ctx);
    const { stream, ended } = await ctx.calls.mediaStreamStart(callId, request);
    // Observed below only with `sync`; this keeps a late rejection from being reported as unhandled.
    ended.catch(() => undefined);
    ctx.variables.set(EXTERNAL_MEDIA_ID_VARIABLE, stream.id);
    ctx.variables.set(EXTERNAL_MEDIA_STOP_REASON_VARIABLE, stream.stop_reason);
    if (stream.status === 'stopped' || option.sync !== true) return undefined;
    let end: MediaStreamEnd;
    try {
      end = await untilEnded(ended, signal);
    } catch (err) {
      if (signal.aborted) await stopAfterAbort(ctx, callId);
      throw err;
    }
    applyEnd(ctx, end);
    return undefined;
  },
});
