import type { WebSocket, RawData } from 'ws';
import type { Clock, ErrorCode, Logger, TimerHandle } from '../shared/index.ts';
import type { OutboxEvent, OutboxRepo } from '../store/index.ts';
import { toEnvelope } from './envelope.ts';
import type { EventHub } from './event-hub.ts';
import { eventTopic, parseTopic, topicMatches } from './topics.ts';

/** Close code for a topic of another customer (docs/events.md). */
export const CLOSE_FOREIGN_TOPIC = 4003;
/** Close code for a consumer that does not read fast enough. */
export const CLOSE_SLOW_CONSUMER = 4008;

/** Tunables of a stream session; durations in milliseconds. */
export interface EventStreamLimits {
  heartbeatMs: number;
  /** Bytes queued in the socket above which the consumer counts as too slow. */
  maxBufferedBytes: number;
  /** How far back `last_event_id` may reach. */
  resumeWindowMs: number;
  /** Live events held back while a resume replays; more closes the socket as slow. */
  maxHeldEvents: number;
}

/** The defaults: ping every 30 s, 1 MiB send buffer, 24 h resume window. */
export const DEFAULT_STREAM_LIMITS: EventStreamLimits = {
  heartbeatMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  resumeWindowMs: 24 * 3600_000,
  maxHeldEvents: 10_000,
};

/** Who is connected. */
export interface StreamPrincipal {
  customerId: string;
  role: 'admin' | 'customer';
}

/** What one session needs. */
export interface EventStreamSessionOptions {
  socket: WebSocket;
  principal: StreamPrincipal;
  hub: EventHub;
  outbox: OutboxRepo;
  clock: Clock;
  logger: Logger;
  /** Replay the events after this one (`?last_event_id=`) once the first subscription arrives. */
  lastEventId?: string;
  limits?: Partial<EventStreamLimits>;
}

const REPLAY_PAGE = 500;

/** One WebSocket client of the event stream: its topics, resume replay, heartbeat and backpressure. */
export class EventStreamSession {
  readonly #o: EventStreamSessionOptions;
  readonly #limits: EventStreamLimits;
  readonly #topics = new Set<string>();
  #resumeFrom: string | undefined;
  #held: OutboxEvent[] | undefined;
  #closed = false;
  #alive = true;
  #timer: TimerHandle | undefined;
  readonly #unsubscribe: () => void;

  constructor(opts: EventStreamSessionOptions) {
    this.#o = opts;
    this.#limits = { ...DEFAULT_STREAM_LIMITS, ...opts.limits };
    this.#resumeFrom = opts.lastEventId;
    // Listening starts before any replay query, so nothing committed meanwhile can fall between them.
    this.#unsubscribe = opts.hub.onEvent((e) => this.#onEvent(e));
    opts.socket.on('message', (data: RawData) => void this.#onMessage(data));
    opts.socket.on('pong', () => (this.#alive = true));
    opts.socket.on('close', () => this.#dispose());
    opts.socket.on('error', () => this.#dispose());
    this.#heartbeat();
  }

  /** Topics currently subscribed. */
  get topics(): readonly string[] {
    return [...this.#topics];
  }

  #heartbeat(): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      if (this.#closed) return;
      if (!this.#alive) {
        this.#o.socket.terminate();
        this.#dispose();
        return;
      }
      this.#alive = false;
      this.#o.socket.ping();
      this.#heartbeat();
    }, this.#limits.heartbeatMs);
  }

  #visible(e: OutboxEvent): boolean {
    return this.#o.principal.role === 'admin' || e.customer_id === this.#o.principal.customerId;
  }

  #onEvent(e: OutboxEvent): void {
    if (this.#closed || !this.#visible(e)) return;
    if (this.#held) {
      if (this.#held.length >= this.#limits.maxHeldEvents)
        this.#close(CLOSE_SLOW_CONSUMER, 'slow consumer: too many events held during resume');
      else this.#held.push(e);
      return;
    }
    this.#deliver(e);
  }

  #deliver(e: OutboxEvent): void {
    const full = eventTopic(e);
    for (const t of this.#topics) {
      if (topicMatches(t, full)) {
        this.#send(toEnvelope(e));
        return;
      }
    }
  }

  /** An error message on the stream; `reason` is a code of the catalogue (docs/errors.md). */
  #sendError(reason: ErrorCode, message: string): void {
    this.#send({ type: 'error', reason, message });
  }

  #send(message: object): void {
    if (this.#closed) return;
    if (this.#o.socket.bufferedAmount > this.#limits.maxBufferedBytes) {
      this.#close(CLOSE_SLOW_CONSUMER, `slow consumer: more than ${this.#limits.maxBufferedBytes} bytes unread`);
      return;
    }
    this.#o.socket.send(JSON.stringify(message));
  }

  async #onMessage(raw: RawData): Promise<void> {
    let msg: { type?: unknown; topics?: unknown };
    try {
      msg = JSON.parse(raw.toString()) as typeof msg;
    } catch {
      this.#sendError('MALFORMED_MESSAGE', 'messages must be JSON');
      return;
    }
    if ((msg.type !== 'subscribe' && msg.type !== 'unsubscribe') || !Array.isArray(msg.topics)) {
      this.#sendError('UNKNOWN_MESSAGE', 'expected {"type":"subscribe"|"unsubscribe","topics":[...]}');
      return;
    }
    const topics = [];
    for (const text of msg.topics) {
      const topic = parseTopic(text);
      if (!topic) {
        this.#sendError('INVALID_TOPIC', `not a topic: ${String(text)}`);
        return;
      }
      if (this.#o.principal.role !== 'admin' && topic.customerId !== this.#o.principal.customerId) {
        this.#close(CLOSE_FOREIGN_TOPIC, 'topic of another customer');
        return;
      }
      topics.push(topic.text);
    }
    if (msg.type === 'unsubscribe') {
      for (const t of topics) this.#topics.delete(t);
      this.#send({ type: 'unsubscribed', topics });
      return;
    }
    for (const t of topics) this.#topics.add(t);
    this.#send({ type: 'subscribed', topics });
    const from = this.#resumeFrom;
    this.#resumeFrom = undefined;
    if (from !== undefined) await this.#replay(from);
  }

  async #replay(lastEventId: string): Promise<void> {
    this.#held = [];
    const seen = new Set<string>();
    try {
      const scope = this.#o.principal.role === 'admin' ? {} : { customerId: this.#o.principal.customerId };
      const last = await this.#o.outbox.get(lastEventId, scope);
      if (!last) {
        this.#sendError('RESUME_UNAVAILABLE', `event ${lastEventId} is unknown or older than the resume window`);
        return;
      }
      const sinceIso = new Date(this.#o.clock.now() - this.#limits.resumeWindowMs).toISOString();
      let after = last.position;
      for (;;) {
        const page = await this.#o.outbox.listAfter({ ...scope, afterPosition: after, sinceIso, limit: REPLAY_PAGE });
        for (const e of page) {
          seen.add(e.event_id);
          this.#deliver(e);
        }
        const tail = page[page.length - 1];
        if (this.#closed || page.length < REPLAY_PAGE || !tail) break;
        after = tail.position;
      }
    } catch (err) {
      this.#o.logger.warn({ err }, 'event stream resume failed');
      this.#sendError('RESUME_FAILED', 'could not read missed events');
    } finally {
      const held = this.#held ?? [];
      this.#held = undefined;
      for (const e of held) if (!seen.has(e.event_id)) this.#deliver(e);
    }
  }

  #close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#o.logger.info({ code, reason }, 'closing event stream');
    this.#dispose();
    this.#o.socket.close(code, reason);
  }

  #dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = undefined;
    this.#unsubscribe();
    this.#o.clock.clearTimeout(this.#timer);
  }
}
