import {
  MAX_STREAMS_PER_CALL,
  MEDIA_STREAM_FORMATS,
  MEDIA_STREAM_LISTEN,
  MEDIA_STREAM_SPEAK,
  type ListenTrack,
  type MediaStream,
  type MediaStreamOwner,
  type MediaStreamPort,
  type MediaStreamRequest,
  type StartedMediaStream,
} from '../../calls/index.ts';
import type { StreamLimits } from '../../media/index.ts';
import {
  ConflictError,
  InvalidStateError,
  NotFoundError,
  ValidationError,
  isoNow,
  lazyChild,
  newId,
  type Clock,
  type Logger,
  type SsrfGuard,
} from '../../shared/index.ts';
import type { CallMedia } from './call-media.ts';
import { MediaStreamSession, type MediaStreamEventType } from './media-stream-session.ts';
import { checkStreamTarget, parseStreamUrl, streamHeaders } from './media-stream-url.ts';

/** Options of {@link MediaStreams}. */
export interface MediaStreamsOptions {
  media: CallMedia;
  /** The SSRF rules for the bot's address: checked before connecting and again at connect time. */
  guard: SsrfGuard;
  clock: Clock;
  logger: Logger;
  /** The customer's webhook secret for the handshake signature; '' sends no signature headers. */
  secretOf(customerId: string): Promise<string>;
  /** Writes the event durably (outbox); resolves once committed. */
  publish(type: MediaStreamEventType, stream: MediaStream): Promise<void>;
  /** Bounds of each stream (default the protocol's, DEFAULT_STREAM_LIMITS). */
  limits?: Partial<StreamLimits>;
}

/** Samples of one 20 ms frame at 8 kHz. */
const FRAME = 160;

function oneOf<T extends string>(field: string, value: string, allowed: readonly T[]): void {
  if (!(allowed as readonly string[]).includes(value))
    throw ValidationError.field(
      field,
      'UNSUPPORTED_STREAM_OPTION',
      `${JSON.stringify(value)} is not one of ${allowed}`,
    );
}

/**
 * The media streams of live legs (MediaStreamPort, docs/media-streams.md): each one a WebSocket to
 * the customer's bot carrying the leg's audio, the bot's audio mixed into what the leg hears. At
 * most {@link MAX_STREAMS_PER_CALL} live streams per call, one of them speaking. A stream ends when
 * the bot ends it, on `stop`, when the leg's endpoint closes (`hangup`) and on `close` (`shutdown`).
 */
export class MediaStreams implements MediaStreamPort {
  readonly #o: MediaStreamsOptions;
  /** Live (not ending) streams by call id, then stream id. */
  readonly #calls = new Map<string, Map<string, MediaStreamSession>>();
  #closed = false;

  constructor(options: MediaStreamsOptions) {
    this.#o = options;
  }

  /** Live streams in all calls. */
  get size(): number {
    let n = 0;
    for (const streams of this.#calls.values()) n += streams.size;
    return n;
  }

  async start(legId: string, owner: MediaStreamOwner, request: MediaStreamRequest): Promise<StartedMediaStream> {
    this.#assertOpen();
    oneOf('format', request.format, MEDIA_STREAM_FORMATS);
    oneOf('direction_listen', request.listen, MEDIA_STREAM_LISTEN);
    oneOf('direction_speak', request.speak, MEDIA_STREAM_SPEAK);
    const target = parseStreamUrl(request.url);
    await checkStreamTarget(this.#o.guard, target.url);
    const secret = await this.#o.secretOf(owner.customer_id);
    // From here on nothing awaits until the stream is registered, so the limits hold under concurrent starts.
    this.#assertOpen();
    const endpoint = this.#o.media.endpoint(legId);
    if (endpoint.closed) throw new InvalidStateError(`the media of leg ${legId} has ended`, 'MEDIA_ENDPOINT_CLOSED');
    const live = this.#calls.get(owner.call_id);
    const streams = [...(live?.values() ?? [])];
    if (streams.length >= MAX_STREAMS_PER_CALL)
      throw new ConflictError('MEDIA_STREAM_LIMIT', `the call has ${MAX_STREAMS_PER_CALL} media streams already`);
    if (request.speak === 'in' && streams.some((s) => s.speaking))
      throw new ConflictError('MEDIA_STREAM_LIMIT', 'the call has a speaking media stream already');
    const stream: MediaStream = {
      id: newId(),
      customer_id: owner.customer_id,
      reference_type: 'call',
      reference_id: owner.call_id,
      activeflow_id: request.activeflow_id,
      status: 'connecting',
      transport: 'websocket',
      encapsulation: 'none',
      external_host: target.externalHost,
      format: request.format,
      direction_listen: request.listen,
      direction_speak: request.speak,
      stop_reason: '',
      tm_create: isoNow(this.#o.clock),
      tm_start: '',
      tm_end: '',
    };
    const logger = lazyChild(this.#o.logger, { call_id: owner.call_id, stream_id: stream.id, leg_id: legId });
    const session = new MediaStreamSession(
      {
        media: this.#o.media,
        clock: this.#o.clock,
        logger,
        publish: (type, s) => this.#o.publish(type, s),
        onEnding: () => this.#forget(owner.call_id, stream.id),
      },
      {
        legId,
        endpoint,
        stream,
        request,
        client: {
          url: target.url,
          headers: streamHeaders(secret, target.url, this.#o.clock.now()),
          format: request.format,
          clock: this.#o.clock,
          lookup: this.#o.guard.connectLookup(),
          ...(this.#o.limits ? { limits: this.#o.limits } : {}),
        },
      },
    );
    if (session.live) this.#remember(owner.call_id, session);
    logger.info(
      { external_host: stream.external_host, listen: request.listen, speak: request.speak },
      'media stream connecting',
    );
    return session.ready;
  }

  async stop(callId: string, streamId?: string): Promise<MediaStream[]> {
    const live = this.#calls.get(callId);
    if (streamId === undefined) {
      const sessions = [...(live?.values() ?? [])];
      await Promise.all(sessions.map((s) => s.end('stopped')));
      return sessions.map((s) => s.snapshot());
    }
    const session = live?.get(streamId);
    if (!session) throw new NotFoundError('MEDIA_STREAM_NOT_FOUND', `the call has no live media stream ${streamId}`);
    await session.end('stopped');
    return [session.snapshot()];
  }

  list(callId: string): MediaStream[] {
    return [...(this.#calls.get(callId)?.values() ?? [])].map((s) => s.snapshot());
  }

  listen(legId: string, track: ListenTrack, onFrame: (pcm: Int16Array) => void, onEnd: () => void): () => void {
    const endpoint = this.#o.media.endpoint(legId);
    const log = this.#o.logger;
    const ended = (): void => {
      try {
        onEnd();
      } catch (err) {
        log.warn({ err, leg_id: legId }, 'a media listener failed at its end');
      }
    };
    if (endpoint.closed) {
      queueMicrotask(ended);
      return () => undefined;
    }
    const mix = new Int16Array(FRAME);
    let done = false;
    const finish = (end: boolean): void => {
      if (done) return;
      done = true;
      offTap();
      offClosed();
      if (end) ended();
    };
    const offTap = endpoint.tap((heard, sent) => {
      if (done) return;
      try {
        if (track === 'in') onFrame(heard);
        else if (track === 'out') onFrame(sent);
        else {
          for (let i = 0; i < FRAME; i++) mix[i] = Math.min(32767, Math.max(-32768, heard[i]! + sent[i]!));
          onFrame(mix);
        }
      } catch (err) {
        log.warn({ err, leg_id: legId }, 'a media listener failed; it is detached');
        finish(true);
      }
    });
    const offClosed = endpoint.on('closed', () => finish(true));
    return () => finish(false);
  }

  /** Stops every stream with `shutdown` and refuses new ones; resolves once all have ended. */
  async close(): Promise<void> {
    this.#closed = true;
    const sessions = [...this.#calls.values()].flatMap((streams) => [...streams.values()]);
    await Promise.all(sessions.map((s) => s.end('shutdown')));
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('media streams are shut down', 'STREAM_CLOSED');
  }

  #remember(callId: string, session: MediaStreamSession): void {
    let streams = this.#calls.get(callId);
    if (!streams) this.#calls.set(callId, (streams = new Map()));
    streams.set(session.stream.id, session);
  }

  #forget(callId: string, streamId: string): void {
    const streams = this.#calls.get(callId);
    if (!streams?.delete(streamId)) return;
    if (streams.size === 0) this.#calls.delete(callId);
  }
}
