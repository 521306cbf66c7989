import { NIL_UUID, NotFoundError, newId } from '../../shared/index.ts';
import type {
  ListenTrack,
  MediaStream,
  MediaStreamEnd,
  MediaStreamOwner,
  MediaStreamPort,
  MediaStreamRequest,
  MediaStreamStopReason,
  StartedMediaStream,
} from '../media-stream.ts';

/** A stream request as the API makes it (µ-law, listening to and speaking into the call), with `fields` over it. */
export function streamRequest(fields: Partial<MediaStreamRequest> = {}): MediaStreamRequest {
  return {
    url: 'wss://bot.example.com/stream',
    format: 'ulaw',
    listen: 'in',
    speak: 'in',
    custom_parameters: {},
    variables: {},
    activeflow_id: NIL_UUID,
    ...fields,
  };
}

/** The stream resource a start of `request` for `owner` gives, running, or stopped with `failed`. */
export function fakeStream(
  owner: MediaStreamOwner,
  request: MediaStreamRequest,
  at: string,
  failed?: MediaStreamStopReason,
): MediaStream {
  return {
    id: newId(),
    customer_id: owner.customer_id,
    reference_type: 'call',
    reference_id: owner.call_id,
    activeflow_id: request.activeflow_id,
    status: failed ? 'stopped' : 'running',
    transport: 'websocket',
    encapsulation: 'none',
    // Without query or fragment, as the resource shows it (docs/media-streams.md "Starting a stream").
    external_host: request.url.replace(/[?#].*$/, ''),
    format: request.format,
    direction_listen: request.listen,
    direction_speak: request.speak,
    stop_reason: failed ?? '',
    tm_create: at,
    tm_start: failed ? '' : at,
    tm_end: failed ? at : '',
  };
}

/**
 * A MediaStreamPort that records what it is asked and keeps its streams in memory (the real one,
 * `telephony/media/media-streams.ts`, is tested on its own).
 */
export class FakeMediaStreams implements MediaStreamPort {
  readonly starts: { legId: string; owner: MediaStreamOwner; request: MediaStreamRequest }[] = [];
  readonly listens: { legId: string; track: ListenTrack }[] = [];
  readonly live = new Map<string, MediaStream>();
  /** When set, each start waits for what it returns (a bot that takes its time to accept). */
  connecting: (() => Promise<unknown>) | undefined;
  /** When set, the next start cannot reach the bot and ends at once with this reason. */
  failWith: MediaStreamStopReason | undefined;
  /** What the next stream's `ended` settles with (by default it never does). */
  ending: Promise<MediaStreamEnd> = new Promise(() => undefined);

  /** `tm_*` of the streams it starts. */
  constructor(readonly at = '2026-01-01T00:00:00.000Z') {}

  /** The requests of every start, in order. */
  get requests(): MediaStreamRequest[] {
    return this.starts.map((s) => s.request);
  }

  async start(legId: string, owner: MediaStreamOwner, request: MediaStreamRequest): Promise<StartedMediaStream> {
    this.starts.push({ legId, owner, request });
    const failed = this.failWith;
    this.failWith = undefined;
    if (this.connecting) await this.connecting();
    const stream = fakeStream(owner, request, this.at, failed);
    if (!failed) this.live.set(stream.id, stream);
    return { stream, ended: this.ending };
  }

  async stop(callId: string, streamId?: string): Promise<MediaStream[]> {
    const picked = this.list(callId).filter((s) => streamId === undefined || s.id === streamId);
    if (streamId !== undefined && picked.length === 0)
      throw new NotFoundError('MEDIA_STREAM_NOT_FOUND', `call ${callId} has no media stream ${streamId}`);
    for (const s of picked) this.live.delete(s.id);
    return picked.map((s) => ({ ...s, status: 'stopped', stop_reason: 'stopped' }));
  }

  list(callId: string): MediaStream[] {
    return [...this.live.values()].filter((s) => s.reference_id === callId);
  }

  listen(legId: string, track: ListenTrack): () => void {
    this.listens.push({ legId, track });
    return () => undefined;
  }
}
