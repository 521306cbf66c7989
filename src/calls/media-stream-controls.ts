import { InvalidStateError, ValidationError } from '../shared/index.ts';
import { answerIncoming } from './incoming-call.ts';
import type { CallRuntime, LiveCall } from './live-call.ts';
import type {
  ListenTrack,
  MediaStream,
  MediaStreamPort,
  MediaStreamRequest,
  StartedMediaStream,
} from './media-stream.ts';

/*
 * Media stream controls (docs/calls.md "Live control endpoints", docs/media-streams.md). Only taking
 * the leg runs on the call's queue: a stream takes up to the handshake deadline to connect and then
 * runs for minutes, and the call's other operations (hangup first) must never wait on it. The
 * stream port stops a leg's streams itself when the leg ends.
 */

/** A read-only listener of a live leg: 8 kHz PCM frames of `track` until the returned function is called or the leg ends. */
export type MediaListener = (track: ListenTrack, onFrame: (pcm: Int16Array) => void, onEnd: () => void) => () => void;

/** What the controls need from CallService: the runtime, its live calls, and its error for a call not live here. */
export interface MediaStreamCalls {
  readonly rt: CallRuntime;
  live(callId: string): LiveCall | undefined;
  /** 404 `CALL_NOT_FOUND`, 409 `CALL_ALREADY_HANGUP`, or 409 for a call another process serves. */
  notLiveError(callId: string): Promise<Error>;
}

function requireStreams(rt: CallRuntime): MediaStreamPort {
  if (!rt.streams) throw new InvalidStateError('media streams are not available on this server', 'CALL_STATE_INVALID');
  return rt.streams;
}

/** A stream that neither hears nor speaks does nothing: refused before the call is touched. */
function checkRequest(request: MediaStreamRequest): void {
  if (request.listen === '' && request.speak === '') {
    throw ValidationError.field(
      'direction_listen',
      'UNSUPPORTED_STREAM_OPTION',
      'a stream with direction_listen "" and direction_speak "" would do nothing',
    );
  }
}

/** On the call's queue: answers a ringing incoming call (like `talk`), then the leg a stream attaches to. */
async function streamLeg(live: LiveCall): Promise<string> {
  live.requireLive();
  if (live.call.direction === 'incoming' && live.call.status === 'ringing') await answerIncoming(live);
  live.requireProgressing('external_media_start');
  return live.requireLeg().leg_id;
}

/** Starts, stops and lists a call's media streams, and gives read-only listeners of its leg. */
export class MediaStreamControls {
  readonly #calls: MediaStreamCalls;

  constructor(calls: MediaStreamCalls) {
    this.#calls = calls;
  }

  /**
   * Opens a stream on the call's leg; resolves once the bot accepted it (`running`) or could not be
   * reached (`stopped` with its reason). 409 `CALL_ALREADY_HANGUP` on a hung-up call, 409
   * `CALL_STATE_INVALID` before answer (a ringing incoming call is answered first).
   */
  async start(callId: string, request: MediaStreamRequest): Promise<StartedMediaStream> {
    const live = await this.#liveOrThrow(callId);
    const streams = requireStreams(this.#calls.rt);
    checkRequest(request);
    const legId = await live.run(() => streamLeg(live));
    const owner = { call_id: live.id, customer_id: live.call.customer_id };
    const started = await streams.start(legId, owner, request);
    // A caller that does not wait for the end (the API) must not leave a rejection unhandled.
    started.ended.catch((err: unknown) => live.logger.error({ err }, 'a media stream ended with an error'));
    return started;
  }

  /** Stops one stream of the call (404 `MEDIA_STREAM_NOT_FOUND` for an unknown id) or all of them; resolves with those stopped. */
  async stop(callId: string, streamId?: string): Promise<MediaStream[]> {
    const live = await this.#liveOrThrow(callId);
    const streams = requireStreams(this.#calls.rt);
    return streams.stop(live.id, streamId);
  }

  /** The call's streams that have not stopped; none for a call not live here or a server without streams. */
  async list(callId: string): Promise<MediaStream[]> {
    const live = this.#calls.live(callId);
    const streams = this.#calls.rt.streams;
    if (!live || live.call.status === 'hangup' || !streams) return [];
    return streams.list(live.id);
  }

  /** A listener of the call's leg, or undefined when the call has no live leg on this node. */
  listener(callId: string): MediaListener | undefined {
    const live = this.#calls.live(callId);
    const streams = this.#calls.rt.streams;
    const legId = live?.leg?.leg_id;
    if (!live || live.call.status === 'hangup' || !streams || legId === undefined) return undefined;
    return (track, onFrame, onEnd) => streams.listen(legId, track, onFrame, onEnd);
  }

  async #liveOrThrow(callId: string): Promise<LiveCall> {
    const live = this.#calls.live(callId);
    if (!live) throw await this.#calls.notLiveError(callId);
    live.requireLive();
    return live;
  }
}
