import { Type, type Static, type TSchema } from 'typebox';
import { HANGUP_REASONS, MUTE_REQUEST_DIRECTIONS } from '../../calls/index.ts';
import type { Address, Call, MuteRequestDirection, TalkRequest } from '../../calls/index.ts';
import { InvalidStateError, ValidationError, hasCode, httpUrlProblem } from '../../shared/index.ts';
import type { ApiContext } from '../context.ts';
import { UuidOrEmpty } from '../schemas.ts';
import { AddressBody, FlowFields, flowSourceOf } from './call-bodies.ts';
import type { CallCommands } from './calls-deps.ts';

/** What a control acts on: the API context, the live call commands and the caller's own call. */
export interface ControlTarget {
  ctx: ApiContext;
  service: CallCommands;
  call: Call;
}

/** One live control endpoint `POST|DELETE /calls/{id}/<path>` (docs/calls.md "Live control endpoints"). */
export interface CallControl {
  method: 'POST' | 'DELETE';
  path: string;
  body: TSchema;
  run(target: ControlTarget, body: unknown): Promise<unknown>;
}

function control<S extends TSchema>(
  method: CallControl['method'],
  path: string,
  body: S,
  run: (t: ControlTarget, body: Static<S>) => Promise<unknown>,
): CallControl {
  return { method, path, body, run: (t, b) => run(t, b as Static<S>) };
}

const NoBody = Type.Object({}, { additionalProperties: false });

const HangupBody = Type.Object({ reason: Type.Optional(Type.Enum(HANGUP_REASONS)) }, { additionalProperties: false });

const TalkBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 10_000 }),
    // Optional as in VoIPBIN's body: en-US when omitted, as the `talk` flow action (docs/calls.md "Live control endpoints").
    language: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$',
        maxLength: 35,
        'x-reason': 'UNSUPPORTED_LANGUAGE',
        'x-message': 'is not a BCP-47 language tag such as en-US',
      }),
    ),
    gender: Type.Optional(Type.Enum(['male', 'female', 'neutral'])),
    voice_id: Type.Optional(Type.String({ maxLength: 256 })),
    // VoIPBIN's TTS provider: accepted and ignored, callbin speaks with one engine (docs/voipbin-compatibility.md).
    provider: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
);

/** A media URL is http(s) only: a path or `file:` would read the server's own files (docs/security.md). */
const MediaUrl = Type.String({
  minLength: 1,
  maxLength: 2048,
  pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+[^\\s]*$',
  'x-reason': 'INVALID_MEDIA_URL',
  'x-message': 'is not an http(s) URL',
});

const PlayBody = Type.Object(
  { media_urls: Type.Array(MediaUrl, { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
);

/** Refuses what the schema's pattern lets through but is still no http(s) URL (`http://a:b:c/`). */
function checkMediaUrls(urls: readonly string[]): void {
  const issues = urls.flatMap((url, i) => {
    const problem = httpUrlProblem(url);
    return problem === undefined
      ? []
      : [{ field: `media_urls[${i}]`, reason: 'INVALID_MEDIA_URL' as const, message: problem }];
  });
  if (issues.length > 0) throw new ValidationError(issues);
}

/** `moh_url`: the call's own music on hold, an http(s) WAV or MP3 (docs/calls.md "Music on hold"). */
const MohBody = Type.Object({ moh_url: Type.Optional(MediaUrl) }, { additionalProperties: false });

/** The `moh_url` of a hold or moh request, checked like a media URL; undefined when not given. */
function mohUrlOf(body: Static<typeof MohBody>): string | undefined {
  if (body.moh_url === undefined) return undefined;
  const problem = httpUrlProblem(body.moh_url);
  if (problem !== undefined) throw ValidationError.field('moh_url', 'INVALID_MEDIA_URL', problem);
  return body.moh_url;
}

/** `direction` `""` or omitted means both, as in VoIPBIN (docs/calls.md "Live control endpoints"). */
const MuteBody = Type.Object(
  { direction: Type.Optional(Type.Enum([...MUTE_REQUEST_DIRECTIONS, ''])) },
  { additionalProperties: false },
);

/** The direction a mute request acts on: `""` or none is `both`. */
function muteRequestDirection(direction: MuteRequestDirection | '' | undefined): MuteRequestDirection {
  return direction === undefined || direction === '' ? 'both' : direction;
}

const RecordingStartBody = Type.Object(
  {
    format: Type.Optional(Type.Enum(['wav'])),
    end_of_silence: Type.Optional(Type.Number({ minimum: 0, maximum: 3600 })),
    end_of_key: Type.Optional(Type.Enum(['', '#', '*', 'any'])),
    duration: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
    // `""` (VoIPBIN's unset id) is no flow, as the nil UUID.
    on_end_flow_id: Type.Optional(UuidOrEmpty),
  },
  { additionalProperties: false },
);

const DigitsBody = Type.Object(
  {
    digits: Type.String({
      pattern: '^[0-9*#A-D]+$',
      maxLength: 100,
      'x-reason': 'INVALID_DIGITS',
      'x-message': 'must be DTMF symbols 0-9 * # A-D',
    }),
    duration: Type.Optional(Type.Integer({ minimum: 40, maximum: 1000 })),
    interval: Type.Optional(Type.Integer({ minimum: 0, maximum: 5000 })),
  },
  { additionalProperties: false },
);

const ChainedCallBody = Type.Object(
  {
    destination: AddressBody,
    source: Type.Optional(AddressBody),
    ...FlowFields,
    early_execution: Type.Optional(Type.Boolean()),
    metadata: Type.Optional(Type.Record(Type.String({ maxLength: 255 }), Type.Unknown())),
  },
  { additionalProperties: false },
);

const RedirectBody = Type.Object(FlowFields, { additionalProperties: false });

/** The language of a `talk` request that names none. */
const DEFAULT_TALK_LANGUAGE = 'en-US';

function talkRequest(ctx: ApiContext, body: Static<typeof TalkBody>): TalkRequest {
  const language = body.language ?? DEFAULT_TALK_LANGUAGE;
  if (ctx.isSupportedLanguage && !ctx.isSupportedLanguage(language)) {
    throw ValidationError.field(
      'language',
      'UNSUPPORTED_LANGUAGE',
      `${JSON.stringify(language)} is not a language the TTS engine speaks (see GET /tts/voices)`,
    );
  }
  return {
    text: body.text,
    language,
    ...(body.gender ? { gender: body.gender } : {}),
    ...(body.voice_id !== undefined ? { voice_id: body.voice_id } : {}),
  };
}

/** A chained call's caller id by default: whom the master's far end knows callbin as. */
function defaultSource(master: Call): Address {
  return master.direction === 'incoming' ? master.destination : master.source;
}

/** docs/calls.md: on a hung-up call every control answers 409 `CALL_ALREADY_HANGUP` (POST /calls with such a master stays `CALL_STATE_INVALID`). */
function alreadyHungUp(call: Call): InvalidStateError {
  return new InvalidStateError(`call ${call.id} is already hung up`, 'CALL_ALREADY_HANGUP');
}

async function dialChained(t: ControlTarget, body: Static<typeof ChainedCallBody>): Promise<{ calls: Call[] }> {
  const { destination, source, flow_id: _flowId, actions: _actions, ...rest } = body;
  if (t.call.status === 'hangup') throw alreadyHungUp(t.call);
  try {
    const calls = await t.service.createOutgoing({
      ...rest,
      ...flowSourceOf(t.ctx, body),
      customer_id: t.call.customer_id,
      source: source ?? defaultSource(t.call),
      destinations: [destination],
      master_call_id: t.call.id,
    });
    return { calls };
  } catch (err) {
    // The master may have hung up since it was read: the domain then refuses the chaining as for POST /calls.
    if (hasCode(err, 'CALL_STATE_INVALID') && (await t.service.get(t.call.id))?.status === 'hangup')
      throw alreadyHungUp(t.call);
    // The domain validates a list of destinations; this endpoint's body names a single `destination`.
    if (!(err instanceof ValidationError)) throw err;
    throw new ValidationError(
      err.details.map((d) => ({ ...d, field: d.field.replace(/^destinations\[0\]/, 'destination') })),
      err.code,
    );
  }
}

/** Every live control, as data: method, path, strict body schema and the live call command. */
export const CALL_CONTROLS: readonly CallControl[] = [
  control('POST', 'hangup', HangupBody, (t, b) =>
    t.service.hangup(t.call.id, b.reason ? { reason: b.reason } : {}, t.call.customer_id),
  ),
  control('POST', 'talk', TalkBody, (t, b) => t.service.talk(t.call.id, talkRequest(t.ctx, b), t.call.customer_id)),
  control('POST', 'play', PlayBody, async (t, b) => {
    checkMediaUrls(b.media_urls);
    return t.service.play(t.call.id, b.media_urls, t.call.customer_id);
  }),
  control('POST', 'media_stop', NoBody, (t) => t.service.stopMedia(t.call.id, t.call.customer_id)),
  control('POST', 'hold', MohBody, (t, b) => t.service.setHold(t.call.id, true, mohUrlOf(b), t.call.customer_id)),
  control('DELETE', 'hold', NoBody, (t) => t.service.setHold(t.call.id, false, undefined, t.call.customer_id)),
  control('POST', 'moh', MohBody, (t, b) => t.service.setMusicOnHold(t.call.id, true, mohUrlOf(b), t.call.customer_id)),
  control('DELETE', 'moh', NoBody, (t) => t.service.setMusicOnHold(t.call.id, false, undefined, t.call.customer_id)),
  control('POST', 'mute', MuteBody, (t, b) =>
    t.service.setMute(t.call.id, muteRequestDirection(b.direction), true, t.call.customer_id),
  ),
  control('DELETE', 'mute', MuteBody, (t, b) =>
    t.service.setMute(t.call.id, muteRequestDirection(b.direction), false, t.call.customer_id),
  ),
  control('POST', 'silence', NoBody, (t) => t.service.setSilence(t.call.id, true, t.call.customer_id)),
  control('DELETE', 'silence', NoBody, (t) => t.service.setSilence(t.call.id, false, t.call.customer_id)),
  control('POST', 'recording_start', RecordingStartBody, (t, b) => {
    const { on_end_flow_id: onEnd, ...options } = b;
    const flow = onEnd === undefined || onEnd === '' ? {} : { on_end_flow_id: onEnd };
    return t.service.startRecording(t.call.id, { ...options, ...flow, format: 'wav' }, t.call.customer_id);
  }),
  control('POST', 'recording_stop', NoBody, (t) => t.service.stopRecording(t.call.id, t.call.customer_id)),
  control('POST', 'digits', DigitsBody, (t, b) => t.service.sendDigits(t.call.id, b, t.call.customer_id)),
  control('POST', 'chained_calls', ChainedCallBody, dialChained),
  control('POST', 'redirect', RedirectBody, (t, b) =>
    t.service.redirect(t.call.id, flowSourceOf(t.ctx, b), b.variables ?? {}, t.call.customer_id),
  ),
];
