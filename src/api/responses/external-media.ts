import { Type } from 'typebox';
import {
  MEDIA_STREAM_FORMATS,
  MEDIA_STREAM_LISTEN,
  MEDIA_STREAM_SPEAK,
  MEDIA_STREAM_STOP_REASONS,
} from '../../calls/index.ts';
import { Id, Time, TimeOrEmpty, obj, oneOf } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** A media stream of a call to the customer's WebSocket (docs/media-streams.md). */
export const MediaStream = obj(
  {
    id: Id,
    customer_id: Id,
    reference_type: Type.Literal('call'),
    reference_id: Id,
    activeflow_id: Id,
    status: oneOf(['connecting', 'running', 'stopped']),
    transport: Type.Literal('websocket'),
    encapsulation: Type.Literal('none'),
    external_host: Type.String({ description: 'the URL without user info, query or fragment' }),
    format: oneOf(MEDIA_STREAM_FORMATS),
    direction_listen: oneOf(MEDIA_STREAM_LISTEN),
    direction_speak: oneOf(MEDIA_STREAM_SPEAK),
    stop_reason: oneOf(['', ...MEDIA_STREAM_STOP_REASONS]),
    tm_create: Time,
    tm_start: TimeOrEmpty,
    tm_end: TimeOrEmpty,
  },
  'a media stream',
);

const Streams = obj({ result: Type.Array(MediaStream) }, 'media streams of the call');

/** `/calls/{id}/external_media`. */
export const externalMediaResponses: ResponseMap = {
  'POST /calls/:id/external_media': MediaStream,
  'GET /calls/:id/external_media': Streams,
  'DELETE /calls/:id/external_media': Streams,
};
