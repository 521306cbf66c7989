import type {
  MediaStream,
  MediaStreamEnd,
  MediaStreamRequest,
  MediaStreamStopReason,
  StartedMediaStream,
} from '../../calls/index.ts';

/** A media stream FakeCallControl started; the test ends it as the bot or the call would. */
export interface FakeStream {
  callId: string;
  request: MediaStreamRequest;
  /** The resource; `status`/`stop_reason` follow `end`. */
  stream: MediaStream;
  /** Ends the stream (a second end is ignored); `variables` are those of a bot's `continue`. */
  end(reason: MediaStreamStopReason, variables?: Record<string, string>): void;
}

function fakeStream(id: string, callId: string, request: MediaStreamRequest): MediaStream {
  const url = new URL(request.url);
  const at = '2026-01-05T12:00:00.000Z';
  return {
    id,
    customer_id: 'c1',
    reference_type: 'call',
    reference_id: callId,
    activeflow_id: request.activeflow_id,
    status: 'running',
    transport: 'websocket',
    encapsulation: 'none',
    external_host: `${url.protocol}//${url.host}${url.pathname}`,
    format: request.format,
    direction_listen: request.listen,
    direction_speak: request.speak,
    stop_reason: '',
    tm_create: at,
    tm_start: at,
    tm_end: '',
  };
}

/** The `n`th fake stream of a call: the entry the test drives and what the port answers. */
export function startFakeStream(
  n: number,
  callId: string,
  request: MediaStreamRequest,
): { entry: FakeStream; result: StartedMediaStream } {
  let resolve: (end: MediaStreamEnd) => void = () => {};
  const ended = new Promise<MediaStreamEnd>((r) => (resolve = r));
  const stream = fakeStream(`stream-${n}`, callId, request);
  const entry: FakeStream = {
    callId,
    request: structuredClone(request),
    stream,
    end: (reason, variables = {}) => {
      if (stream.status === 'stopped') return;
      Object.assign(stream, { status: 'stopped', stop_reason: reason, tm_end: stream.tm_create });
      resolve({ reason, variables });
    },
  };
  return { entry, result: { stream: { ...stream }, ended } };
}
