import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  MEDIA_STREAM_FORMATS,
  MEDIA_STREAM_LISTEN,
  MEDIA_STREAM_SPEAK,
  streamCustomParameters,
  streamUrlProblem,
} from '../../calls/index.ts';
import type { MediaStreamRequest } from '../../calls/index.ts';
import { NIL_UUID, ValidationError } from '../../shared/index.ts';
import type { FieldIssue } from '../../shared/index.ts';
import type { ApiContext } from '../context.ts';
import { CredentialQuery } from '../pagination.ts';
import { Uuid } from '../schemas.ts';
import { emptyBodyAsObject } from './call-bodies.ts';
import { ownedCall } from './calls.ts';
import { IdParams } from './crud.ts';

/*
 * `POST|GET|DELETE /calls/{id}/external_media` (docs/api.md "Media streams"): a media stream of the
 * call to the customer's WebSocket, with VoIPBIN's option names. The body schema and
 * `externalMediaRequest` are the one mapping of these options; the flow action
 * `external_media_start` takes the same options the same way.
 */

/** Longest `external_host`. */
export const MAX_STREAM_URL_LENGTH = 2048;
/** Longest `data` string. */
export const MAX_STREAM_DATA_LENGTH = 4096;

/** A `ws://` or `wss://` URL (checked again by `streamUrlProblem`: the pattern alone lets `ws://a:b:c/` through). */
const StreamUrl = Type.String({
  minLength: 1,
  maxLength: MAX_STREAM_URL_LENGTH,
  pattern: '^[Ww][Ss][Ss]?://[^\\s/?#]+[^\\s]*$',
  'x-reason': 'INVALID_STREAM_URL',
  'x-message': 'is not a ws:// or wss:// URL of at most 2048 characters',
});

/** An option callbin knows by name; values it does not support are refused by `externalMediaRequest`. */
const OptionName = Type.String({ maxLength: 32 });

/** The body of `POST /calls/{id}/external_media` (strict). */
export const ExternalMediaBody = Type.Object(
  {
    external_host: StreamUrl,
    transport: Type.Optional(OptionName),
    encapsulation: Type.Optional(OptionName),
    connection_type: Type.Optional(OptionName),
    format: Type.Optional(Type.Enum(MEDIA_STREAM_FORMATS)),
    direction_listen: Type.Optional(Type.Enum(MEDIA_STREAM_LISTEN)),
    direction_speak: Type.Optional(Type.Enum(MEDIA_STREAM_SPEAK)),
    data: Type.Optional(Type.String({ maxLength: MAX_STREAM_DATA_LENGTH })),
  },
  { additionalProperties: false },
);

/** The body as validated. */
export type ExternalMediaOptions = Static<typeof ExternalMediaBody>;

function unsupported(field: string, message: string): FieldIssue {
  return { field, reason: 'UNSUPPORTED_STREAM_OPTION', message };
}

/** The option values callbin cannot stream with, one issue per field. */
function optionIssues(o: ExternalMediaOptions): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const problem = streamUrlProblem(o.external_host);
  if (problem !== undefined) issues.push({ field: 'external_host', reason: 'INVALID_STREAM_URL', message: problem });
  if (o.transport === 'udp')
    issues.push(unsupported('transport', 'RTP over UDP is not supported; use a ws:// or wss:// external_host'));
  else if (o.transport !== undefined && o.transport !== 'websocket')
    issues.push(unsupported('transport', `${JSON.stringify(o.transport)} is not supported; only "websocket" is`));
  if (o.encapsulation !== undefined && o.encapsulation !== 'none' && o.encapsulation !== '')
    issues.push(
      unsupported(
        'encapsulation',
        `${JSON.stringify(o.encapsulation)} is not supported: a WebSocket stream carries JSON messages ("none")`,
      ),
    );
  if (o.connection_type !== undefined && o.connection_type !== 'client')
    issues.push(
      unsupported(
        'connection_type',
        `${JSON.stringify(o.connection_type)} is not supported: callbin connects out ("client")`,
      ),
    );
  if (o.direction_listen === '' && o.direction_speak === '')
    issues.push(
      unsupported('direction_listen', 'a stream with direction_listen "" and direction_speak "" would do nothing'),
    );
  return issues;
}

/**
 * The stream request of validated options (400 `INVALID_STREAM_URL` / `UNSUPPORTED_STREAM_OPTION`
 * naming each field): defaults `format` `ulaw`, `direction_listen` `in`, `direction_speak` `in`;
 * `data` through `streamCustomParameters` (docs/media-streams.md). `activeflow_id` is the nil UUID (started through the API).
 */
export function externalMediaRequest(o: ExternalMediaOptions): MediaStreamRequest {
  const issues = optionIssues(o);
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    url: o.external_host,
    format: o.format ?? 'ulaw',
    listen: o.direction_listen ?? 'in',
    speak: o.direction_speak ?? 'in',
    custom_parameters: streamCustomParameters(o.data ?? ''),
    variables: {},
    activeflow_id: NIL_UUID,
  };
}

const StopQuery = Type.Object(
  { ...CredentialQuery.properties, external_media_id: Type.Optional(Uuid) },
  { additionalProperties: false },
);

const tags = ['calls'];

/** `POST|GET|DELETE /calls/{id}/external_media`. */
export function externalMediaRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const url = '/calls/:id/external_media';
  const common = { tags, params: IdParams };
  app.post(
    url,
    { schema: { ...common, querystring: CredentialQuery, body: ExternalMediaBody }, preValidation: emptyBodyAsObject },
    async (req) => {
      const { calls, call } = await ownedCall(ctx, req);
      const request = externalMediaRequest(req.body as ExternalMediaOptions);
      return (await calls.service.startMediaStream(call.id, request, call.customer_id)).stream;
    },
  );

  app.get(url, { schema: { ...common, querystring: CredentialQuery } }, async (req) => {
    const { calls, call } = await ownedCall(ctx, req);
    return { result: await calls.service.listMediaStreams(call.id, call.customer_id) };
  });

  app.delete(url, { schema: { ...common, querystring: StopQuery } }, async (req) => {
    const { calls, call } = await ownedCall(ctx, req);
    const streamId = (req.query as Static<typeof StopQuery>).external_media_id;
    return { result: await calls.service.stopMediaStream(call.id, streamId, call.customer_id) };
  });
}
