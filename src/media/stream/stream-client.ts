import type { LookupFunction } from 'node:net';
import WebSocket from 'ws';
import type { ClientOptions, RawData } from 'ws';
import { AppError, InvalidStateError, TypedEmitter, ValidationError } from '../../shared/index.ts';
import type { Clock, TimerHandle } from '../../shared/index.ts';
import { OutboundQueue } from './outbound-queue.ts';
import { PlayoutQueue } from './playout-queue.ts';
import { STREAM_FRAME_SAMPLES, StreamAudioDecoder, StreamAudioEncoder, wireBytesFor } from './stream-audio.ts';
import type { StreamFormat } from './stream-audio.ts';
import { DEFAULT_STREAM_LIMITS } from './stream-options.ts';
import type { MediaStreamClientEvents, MediaStreamClientOptions, StreamLimits } from './stream-options.ts';
import { endReasonOfClose, endReasonOfError } from './stream-end.ts';
import type { StreamClientEnd } from './stream-end.ts';
import {
  connectedMessage,
  dtmfMessage,
  markMessage,
  mediaMessage,
  parseBotMessage,
  startMessage,
  stopMessage,
} from './stream-messages.ts';
import type { BotMessage, StreamStartInfo, StreamTrack } from './stream-messages.ts';

/** How long a closing handshake may take before the socket is destroyed. */
const CLOSE_GRACE_MS = 2000;
/** While outbound messages wait, the socket is checked for room this often. */
const FLUSH_MS = 20;
const DTMF_DIGIT = /^[0-9*#A-D]$/;

/**
 * One outgoing WebSocket to a media-stream bot, speaking the Twilio Media Streams message protocol:
 * the call's audio goes out as `media` messages, the bot's audio lands in {@link playout} for the
 * call to read, marks are echoed once played. Every failure ends the stream once with a reason; at
 * the end every timer is stopped and the socket closed (destroyed after 2 s at most).
 */
export class MediaStreamClient extends TypedEmitter<MediaStreamClientEvents> {
  /** What the bot sent, to be played (an AudioSource of 8 kHz PCM). */
  readonly playout: PlayoutQueue;
  readonly #ws: WebSocket;
  readonly #clock: Clock;
  readonly #limits: StreamLimits;
  readonly #format: StreamFormat;
  readonly #decoder: StreamAudioDecoder;
  readonly #encoders: Record<StreamTrack, StreamAudioEncoder>;
  readonly #chunks: Record<StreamTrack, number> = { inbound: 0, outbound: 0 };
  /** Reused for every frame: the payload is turned into base64 text at once. */
  readonly #frameBytes: Buffer;
  readonly #out: OutboundQueue;
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;
  #state: 'connecting' | 'open' | 'closed' = 'connecting';
  #socketClosed = false;
  #start: StreamStartInfo | undefined;
  #sequence = 0;
  #lastPong = 0;
  #nextPing = 0;
  #handshakeTimer: TimerHandle | undefined;
  #pingTimer: TimerHandle | undefined;
  #flushTimer: TimerHandle | undefined;
  #closeTimer: TimerHandle | undefined;

  /** Starts connecting at once; throws ValidationError `INVALID_STREAM_URL` for a URL that is not ws:// or wss://. */
  constructor(options: MediaStreamClientOptions) {
    super();
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw ValidationError.field('url', 'INVALID_STREAM_URL', 'not a URL');
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
      throw ValidationError.field('url', 'INVALID_STREAM_URL', 'not a ws:// or wss:// URL');
    this.#clock = options.clock;
    this.#limits = { ...DEFAULT_STREAM_LIMITS, ...options.limits };
    this.#format = options.format;
    this.#decoder = new StreamAudioDecoder(options.format);
    this.#encoders = {
      inbound: new StreamAudioEncoder(options.format),
      outbound: new StreamAudioEncoder(options.format),
    };
    this.#frameBytes = Buffer.alloc(wireBytesFor(options.format, STREAM_FRAME_SAMPLES));
    this.playout = new PlayoutQueue({ maxQueuedMs: this.#limits.maxQueuedMs, onMark: (name) => this.#played(name) });
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    const wsOptions: ClientOptions & { lookup?: LookupFunction } = {
      headers: { 'User-Agent': 'callbin', ...options.headers },
      handshakeTimeout: this.#limits.handshakeMs,
      maxPayload: this.#limits.maxFrameBytes,
      followRedirects: false,
      perMessageDeflate: false,
    };
    if (options.lookup) wsOptions.lookup = options.lookup;
    // The fragment is never sent to a server (ws refuses a URL that has one).
    url.hash = '';
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, wsOptions);
    } catch (err) {
      if (err instanceof SyntaxError) throw ValidationError.field('url', 'INVALID_STREAM_URL', err.message);
      throw err;
    }
    this.#ws = ws;
    this.#out = new OutboundQueue(ws, this.#limits.highWaterBytes, this.#limits.maxPendingMessages);
    // ws's own handshake timeout watches for inactivity; this one bounds the whole handshake.
    this.#handshakeTimer = this.#clock.setTimeout(
      () => this.#finish('handshake_timeout', {}, 'terminate'),
      this.#limits.handshakeMs,
    );
    ws.on('open', () => this.#opened());
    ws.on('message', (data: RawData, isBinary: boolean) => this.#received(data, isBinary));
    ws.on('pong', () => (this.#lastPong = this.#clock.now()));
    ws.on('error', (err: Error) => this.#finish(endReasonOfError(err, this.#state === 'open'), {}, 'none'));
    ws.on('close', (code: number) => this.#socketGone(code));
  }

  /** `connecting` until the bot accepts the upgrade, `closed` once the stream has ended. */
  get state(): 'connecting' | 'open' | 'closed' {
    return this.#state;
  }

  /** Outbound media messages dropped under back-pressure. */
  get droppedMessages(): number {
    return this.#out.dropped;
  }

  /** Messages handed to the socket. */
  get sentMessages(): number {
    return this.#out.sent;
  }

  /** Outbound messages waiting for the socket to drain (at most `maxPendingMessages`). */
  get pendingMessages(): number {
    return this.#out.pending;
  }

  /** Sends `connected` then `start`; nothing once closed; InvalidStateError while connecting or when started already. */
  sendStart(info: StreamStartInfo): void {
    if (this.#state === 'closed') return;
    if (this.#state !== 'open') throw new InvalidStateError('the media stream is not open yet');
    if (this.#start) throw new InvalidStateError('the media stream has started already');
    this.#start = info;
    this.#queue(connectedMessage(), false);
    this.#queue(startMessage(++this.#sequence, info, this.#format), false);
  }

  /** Sends one 20 ms frame (160 samples of 8 kHz PCM) of `track`; nothing unless started and open. */
  sendAudio(track: StreamTrack, pcm8k: Int16Array): void {
    if (pcm8k.length !== STREAM_FRAME_SAMPLES)
      throw new AppError('INVALID_ARGUMENT', `a media frame is ${STREAM_FRAME_SAMPLES} samples, not ${pcm8k.length}`);
    if (this.#state !== 'open' || !this.#start) return;
    const payload = this.#encoders[track].encode(pcm8k, this.#frameBytes).toString('base64');
    const chunk = ++this.#chunks[track];
    this.#queue(mediaMessage(++this.#sequence, this.#start.streamSid, track, chunk, payload), true);
  }

  /** Sends a digit the caller pressed (0-9, *, #, A-D); nothing unless started and open. */
  sendDtmf(digit: string): void {
    if (!DTMF_DIGIT.test(digit)) throw new AppError('INVALID_ARGUMENT', `${JSON.stringify(digit)} is not a DTMF digit`);
    if (this.#state !== 'open' || !this.#start) return;
    this.#queue(dtmfMessage(++this.#sequence, this.#start.streamSid, digit), false);
  }

  /** Sends `stop` with `reason` when open, closes 1000, emits end('local'); idempotent; resolves when closed (bounded, 2 s max, then terminate()). */
  stop(reason: string): Promise<void> {
    this.#finish('local', {}, 'stop', 1000, reason);
    return this.#closed;
  }

  #opened(): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'open';
    this.#clock.clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.#lastPong = this.#clock.now();
    this.#nextPing = this.#lastPong + this.#limits.pingMs;
    this.#armPing();
    this.safeEmit('open');
  }

  /** One timer for pings and the pong deadline, set for whichever comes first. */
  #armPing(): void {
    const deadline = this.#lastPong + this.#limits.pongTimeoutMs;
    const delay = Math.max(0, Math.min(this.#nextPing, deadline) - this.#clock.now());
    this.#pingTimer = this.#clock.setTimeout(() => {
      this.#pingTimer = undefined;
      const now = this.#clock.now();
      if (now - this.#lastPong >= this.#limits.pongTimeoutMs) return this.#finish('stalled', {}, 'terminate');
      if (now >= this.#nextPing) {
        this.#nextPing = now + this.#limits.pingMs;
        this.#ws.ping();
        this.#out.flush();
      }
      this.#armPing();
    }, delay);
  }

  #received(data: RawData, isBinary: boolean): void {
    if (this.#state === 'closed') return;
    if (isBinary) return this.#finish('protocol_error', {}, 'stop', 1002);
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const text = bytes.toString('utf8');
    let message: BotMessage;
    try {
      message = parseBotMessage(text, { streamSid: this.#start?.streamSid, format: this.#format });
    } catch {
      return this.#finish('protocol_error', {}, 'stop', 1002);
    }
    switch (message.event) {
      case 'media':
        if (!this.playout.push(this.#decoder.decode(message.payload)))
          this.#finish('playback_overflow', {}, 'stop', 1008);
        return;
      case 'mark':
        if (!this.playout.mark(message.name)) this.#finish('playback_overflow', {}, 'stop', 1008);
        return;
      case 'clear': {
        const names = this.playout.clear();
        this.safeEmit('clear');
        for (const name of names) this.#played(name);
        return;
      }
      case 'continue':
        return this.#finish('bot_continue', message.variables, 'stop', 1000);
    }
  }

  /** A mark's audio was played (or cleared): echoed to the bot and told to listeners. */
  #played(name: string): void {
    if (this.#state !== 'open') return;
    if (this.#start) this.#queue(markMessage(++this.#sequence, this.#start.streamSid, name), false);
    if (this.#state === 'open') this.safeEmit('mark', name);
  }

  #queue(text: string, droppable: boolean): void {
    // Control messages that cannot wait within the bound: the bot has stopped reading.
    if (!this.#out.send(text, droppable)) return this.#finish('stalled', {}, 'terminate');
    if (this.#out.pending > 0 && this.#flushTimer === undefined) this.#armFlush();
  }

  #armFlush(): void {
    this.#flushTimer = this.#clock.setTimeout(() => {
      this.#flushTimer = undefined;
      if (this.#state !== 'open') return;
      this.#out.flush();
      if (this.#out.pending > 0) this.#armFlush();
    }, FLUSH_MS);
  }

  /**
   * Ends the stream once: timers stopped, the end told, then the socket closed as `action` says
   * (`stop`: the `stop` message, if started, then a close with `code`).
   */
  #finish(
    reason: StreamClientEnd,
    variables: Record<string, string>,
    action: 'stop' | 'terminate' | 'none',
    code = 1000,
    stopReason: string = reason,
  ): void {
    if (this.#state === 'closed') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    for (const timer of [this.#handshakeTimer, this.#pingTimer, this.#flushTimer]) this.#clock.clearTimeout(timer);
    this.#handshakeTimer = this.#pingTimer = this.#flushTimer = undefined;
    if (action === 'stop' && wasOpen) {
      this.#out.flush();
      const ids = this.#start;
      if (ids) this.#out.sendNow(stopMessage(++this.#sequence, ids.streamSid, ids, stopReason));
      this.#ws.close(code);
    } else if (action !== 'none') {
      this.#ws.terminate();
    }
    this.#out.clear();
    if (!this.#socketClosed) {
      this.#closeTimer = this.#clock.setTimeout(() => {
        this.#closeTimer = undefined;
        this.#ws.terminate();
        this.#resolveClosed();
      }, CLOSE_GRACE_MS);
    }
    this.safeEmit('end', reason, variables);
  }

  #socketGone(code: number): void {
    this.#socketClosed = true;
    this.#clock.clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    this.#finish(endReasonOfClose(code, this.#state === 'open'), {}, 'none');
    this.#resolveClosed();
  }
}
