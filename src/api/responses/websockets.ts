import { Type } from 'typebox';
import { ErrorEnvelope, Time, obj, oneOf, openMap } from './common.ts';

/*
 * The two WebSocket endpoints, documented as operations of `/openapi.json` (docs/events.md
 * "WebSocket event stream", docs/api.md "Media streams"): the upgrade `GET`, its query, and the
 * messages each side sends, under `x-websocket`.
 */

const Topics = Type.Array(Type.String({ description: 'customer_id:<id>[:<resource>[:<resource id>]]' }));

/** What the client sends on `/ws`. */
const ClientMessage = obj(
  { type: oneOf(['subscribe', 'unsubscribe']), topics: Topics },
  'subscribe to or unsubscribe from topics',
);

/** An event as webhooks carry it (docs/events.md "Envelope"). */
export const EventEnvelope = obj(
  {
    type: Type.String({ description: 'the event type, e.g. call_updated' }),
    event_id: Type.String({ format: 'uuid' }),
    seq: Type.Integer({ description: 'counts up by one per resource' }),
    tm_event: Time,
    data: openMap('the resource as its GET returns it'),
  },
  'an event',
);

const Acknowledgement = obj({ type: oneOf(['subscribed', 'unsubscribed']), topics: Topics }, 'the topics now taken');
const StreamError = obj(
  { type: Type.Literal('error'), reason: Type.String(), message: Type.String() },
  'a message the server could not act on',
);

const QUERY_CREDENTIALS = [
  { name: 'accesskey', in: 'query', required: false, schema: { type: 'string' }, description: 'an access key' },
  { name: 'token', in: 'query', required: false, schema: { type: 'string' }, description: 'a login JWT' },
];

const refusals = (statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: 'refused before the upgrade', content: { 'application/json': { schema: ErrorEnvelope } } },
    ]),
  );

/** `GET /ws`: the event stream. */
export const eventStreamOperation = {
  tags: ['events'],
  summary: 'The event stream (WebSocket)',
  description:
    'Upgrade to a WebSocket carrying the events of the topics subscribed (docs/events.md). Authenticated like every route: a Bearer header, `?accesskey=` or `?token=`. A topic of another customer closes the socket with 4003, a client that lets more than 1 MiB queue up with 4008; the server pings every 30 s.',
  parameters: [
    {
      name: 'last_event_id',
      in: 'query',
      required: false,
      schema: { type: 'string', format: 'uuid' },
      description: 'resume: after the first subscribe, the events after this one are replayed (up to 24 h)',
    },
    ...QUERY_CREDENTIALS,
  ],
  responses: { 101: { description: 'Switching Protocols: the event stream' }, ...refusals([400, 401, 429, 500]) },
  'x-websocket': {
    client: { subscribe: ClientMessage },
    server: { event: EventEnvelope, acknowledgement: Acknowledgement, error: StreamError },
    close_codes: { 4003: 'a topic of another customer', 4008: 'slow consumer' },
  },
};

/** `GET /calls/{id}/media_stream`: listening to a call. */
export const mediaStreamOperation = {
  tags: ['calls'],
  summary: "Listen to a call's audio (WebSocket)",
  description:
    'Upgrade to a read-only WebSocket carrying one binary frame per 20 ms until the call ends (close 1000): `rtp` a 12-byte RTP header (PT 0) and 160 µ-law bytes, `sln` 320 bytes of 16-bit little-endian PCM at 8 kHz (docs/api.md "Media streams"). What the client sends is ignored.',
  parameters: [
    { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'the call' },
    { name: 'encapsulation', in: 'query', required: false, schema: { type: 'string', enum: ['rtp', 'sln'] } },
    { name: 'track', in: 'query', required: false, schema: { type: 'string', enum: ['in', 'out', 'both'] } },
    ...QUERY_CREDENTIALS,
  ],
  responses: {
    101: { description: 'Switching Protocols: the audio frames' },
    ...refusals([400, 401, 404, 409, 429, 500]),
  },
  'x-websocket': {
    server: { frame: { type: 'string', format: 'binary', description: 'one 20 ms frame' } },
    close_codes: { 1000: 'the call ended', 1009: 'a client frame over 64 KiB', 1011: 'no media' },
  },
};
