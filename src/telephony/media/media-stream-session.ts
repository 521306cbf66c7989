import type {
  MediaStream,
  MediaStreamEnd,
  MediaStreamRequest,
  MediaStreamStopReason,
  StartedMediaStream,
} from '../../calls/index.ts';
import type { MediaEndpoint } from '../../endpoint/index.ts';
import {
  MediaStreamClient,
  STREAM_FRAME_SAMPLES,
  type MediaStreamClientOptions,
  type StreamClientEnd,
} from '../../media/index.ts';
import { isoNow, type Clock, type Logger } from '../../shared/index.ts';
import type { CallMedia } from './call-media.ts';

/** The event types a stream publishes. */
export type MediaStreamEventType = 'external_media_started' | 'external_media_stopped';

/** What one stream needs from the service that runs it. */
export interface MediaStreamSessionDeps {
  media: CallMedia;
  clock: Clock;
  /** Bound to the call id and stream id. */
  logger: Logger;
  publish(type: MediaStreamEventType, stream: MediaStream): Promise<void>;
  /** Told once, when the stream starts ending (it no longer counts as live). */
  onEnding(): void;
}

/** A stream about to connect. */
export interface MediaStreamSessionInit {
  legId: string;
  endpoint: MediaEndpoint;
  /** The resource, status `connecting`. */
  stream: MediaStream;
  request: MediaStreamRequest;
  client: MediaStreamClientOptions;
}

const NO_VARIABLES: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * One media stream of a leg (docs/media-streams.md): its resource, its client to the bot and the
 * wiring between them once the bot accepted the socket: what the leg heard (`inbound`, from each
 * packet as it arrives where the codec allows) and/or was sent (`outbound`, on each media tick),
 * the leg's digits go out as `dtmf`, and a speaking stream's playout is mixed over what the leg
 * hears. It ends exactly once, whoever ends it (the bot, a stop, the leg closing, shutdown):
 * everything detached, the bot told `stop`, the resource `stopped`, the `external_media_stopped`
 * event written after `external_media_started`. Nothing here throws into the media clock's tick or
 * the leg's packet path.
 */
export class MediaStreamSession {
  /** The live resource (mutated as it moves); hand out {@link snapshot}s. */
  readonly stream: MediaStream;
  readonly legId: string;
  /** Resolves once the stream ended and its `external_media_stopped` event was written. */
  readonly ended: Promise<MediaStreamEnd>;
  /** Resolves once the bot got `start` (running) or the stream ended first (stopped). */
  readonly ready: Promise<StartedMediaStream>;
  readonly #deps: MediaStreamSessionDeps;
  readonly #endpoint: MediaEndpoint;
  readonly #request: MediaStreamRequest;
  readonly #client: MediaStreamClient | undefined;
  readonly #detach: (() => void)[] = [];
  #events: Promise<void> = Promise.resolve();
  #ending: Promise<void> | undefined;
  #stopReason: MediaStreamStopReason = 'stopped';
  #resolveEnded!: (end: MediaStreamEnd) => void;
  #resolveReady!: (started: StartedMediaStream) => void;

  constructor(deps: MediaStreamSessionDeps, init: MediaStreamSessionInit) {
    this.#deps = deps;
    this.stream = init.stream;
    this.legId = init.legId;
    this.#endpoint = init.endpoint;
    this.#request = init.request;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.ready = new Promise((resolve) => (this.#resolveReady = resolve));
    this.#detach.push(init.endpoint.on('closed', () => void this.end('hangup')));
    let client: MediaStreamClient | undefined;
    try {
      client = new MediaStreamClient(init.client);
    } catch (err) {
      deps.logger.warn({ err }, 'the media stream could not connect');
    }
    this.#client = client;
    if (!client) {
      void this.end('connect_failed');
      return;
    }
    client.on('open', () => void this.#opened());
    client.on('end', (reason, variables) => void this.end(this.#reasonOf(reason), variables));
    client.on('clear', () => deps.logger.debug('the bot cleared its queued audio'));
  }

  /** A copy of the resource as it is now. */
  snapshot(): MediaStream {
    return { ...this.stream };
  }

  /** True until the stream starts ending. */
  get live(): boolean {
    return this.#ending === undefined;
  }

  /** True for a stream whose bot's audio is played to the leg (speak `in`). */
  get speaking(): boolean {
    return this.#request.speak === 'in';
  }

  /** Ends the stream with `reason` (the first reason wins); resolves once it has fully ended. */
  end(reason: MediaStreamStopReason, variables: Record<string, string> = NO_VARIABLES): Promise<void> {
    if (!this.#ending) {
      this.#stopReason = reason;
      this.#deps.onEnding();
      // Set before any work: stopping the client reports its own end, which must find this one running.
      this.#ending = Promise.resolve().then(() => this.#finish(reason, variables));
    }
    return this.#ending;
  }

  #reasonOf(reason: StreamClientEnd): MediaStreamStopReason {
    return reason === 'local' ? this.#stopReason : reason;
  }

  async #opened(): Promise<void> {
    if (this.#ending) return;
    this.stream.status = 'running';
    this.stream.tm_start = isoNow(this.#deps.clock);
    this.#deps.logger.info({ external_host: this.stream.external_host }, 'the media stream bot accepted the socket');
    await this.#event('external_media_started');
    if (this.#ending) return;
    try {
      this.#start();
    } catch (err) {
      this.#deps.logger.error({ err }, 'the media stream could not be wired to the leg');
      void this.end('stopped');
      return;
    }
    this.#resolveReady({ stream: this.snapshot(), ended: this.ended });
  }

  /** Sends `connected` + `start`, then wires the leg's audio, digits and (speaking) playback. */
  #start(): void {
    const client = this.#client!;
    const { listen, speak } = this.#request;
    const inbound = listen === 'in' || listen === 'both';
    const outbound = listen === 'out' || listen === 'both';
    const tracks: ('inbound' | 'outbound')[] = [];
    if (inbound) tracks.push('inbound');
    if (outbound) tracks.push('outbound');
    const s = this.stream;
    client.sendStart({
      streamSid: s.id,
      accountSid: s.customer_id,
      callSid: s.reference_id,
      tracks,
      customParameters: { ...this.#request.custom_parameters },
      callbin: {
        call_id: s.reference_id,
        activeflow_id: s.activeflow_id,
        stream_id: s.id,
        variables: { ...this.#request.variables },
      },
    });
    if (inbound || outbound) this.#wireAudio(client, inbound, outbound);
    this.#detach.push(
      this.#endpoint.on('dtmf', (event) => {
        try {
          client.sendDtmf(event.digit);
        } catch (err) {
          this.#deps.logger.debug({ err }, 'a digit could not be sent to the media stream bot');
        }
      }),
    );
    if (speak === 'in') {
      this.#deps.media.setOverlay(this.legId, client.playout);
      this.#detach.push(() => this.#deps.media.setOverlay(this.legId, undefined));
    }
  }

  /**
   * The leg's audio to the bot (docs/media-streams.md "Tracks"): `inbound` from each received packet
   * as it arrives while the leg's codec allows it (G.711), re-chunked into 20 ms frames, else from
   * the tick tap; `outbound` from the tick tap. A re-INVITE that changes the codec switches the
   * inbound source; the track's chunks stay contiguous either way.
   */
  #wireAudio(client: MediaStreamClient, inbound: boolean, outbound: boolean): void {
    const endpoint = this.#endpoint;
    let failed = false;
    const send = (track: 'inbound' | 'outbound', pcm: Int16Array): void => {
      try {
        client.sendAudio(track, pcm);
      } catch (err) {
        if (!failed) this.#deps.logger.warn({ err }, 'a media stream frame could not be sent');
        failed = true;
      }
    };
    const chunk = new Int16Array(STREAM_FRAME_SAMPLES);
    let filled = 0;
    const onPacket = (pcm: Int16Array): void => {
      for (let at = 0; at < pcm.length; ) {
        const n = Math.min(STREAM_FRAME_SAMPLES - filled, pcm.length - at);
        chunk.set(pcm.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === STREAM_FRAME_SAMPLES) {
          filled = 0;
          send('inbound', chunk);
        }
      }
    };
    let offPackets: (() => void) | undefined;
    let offTap: (() => void) | undefined;
    const wire = (): void => {
      if (endpoint.closed) return;
      const packets = inbound && endpoint.packetAudio;
      if (packets && !offPackets) offPackets = endpoint.onHeardPacket(onPacket);
      if (!packets && offPackets) {
        offPackets();
        offPackets = undefined;
        filled = 0;
      }
      const tapped = outbound || (inbound && !offPackets);
      if (tapped && !offTap)
        offTap = endpoint.tap((heard, sent) => {
          if (inbound && !offPackets) send('inbound', heard);
          if (outbound) send('outbound', sent);
        });
      if (!tapped && offTap) {
        offTap();
        offTap = undefined;
      }
    };
    wire();
    this.#detach.push(endpoint.on('state', wire), () => {
      offPackets?.();
      offTap?.();
    });
  }

  async #finish(reason: MediaStreamStopReason, variables: Record<string, string>): Promise<void> {
    for (const off of this.#detach.splice(0)) {
      try {
        off();
      } catch (err) {
        this.#deps.logger.debug({ err }, 'detaching a media stream failed');
      }
    }
    try {
      await this.#client?.stop(reason);
    } catch (err) {
      this.#deps.logger.debug({ err }, 'closing the media stream socket failed');
    }
    this.stream.status = 'stopped';
    this.stream.stop_reason = reason;
    this.stream.tm_end = isoNow(this.#deps.clock);
    this.#deps.logger.info(
      { reason, dropped: this.#client?.droppedMessages ?? 0, sent: this.#client?.sentMessages ?? 0 },
      'the media stream stopped',
    );
    await this.#event('external_media_stopped');
    this.#resolveReady({ stream: this.snapshot(), ended: this.ended });
    this.#resolveEnded({ reason, variables: { ...variables } });
  }

  /** Writes an event of the resource as it is now, after the stream's earlier events; never rejects. */
  #event(type: MediaStreamEventType): Promise<void> {
    const snapshot = this.snapshot();
    this.#deps.media.timeline?.stream(
      this.legId,
      type === 'external_media_started' ? 'stream_start' : 'stream_stop',
      snapshot,
    );
    const next = this.#events.then(() =>
      this.#deps.publish(type, snapshot).catch((err: unknown) => {
        this.#deps.logger.error({ err, type }, 'the media stream event could not be written');
      }),
    );
    this.#events = next;
    return next;
  }
}
