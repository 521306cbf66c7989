import {
  connect,
  errors as natsErrors,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { silentLogger, type Logger } from '../shared/index.ts';
import { BusError, type Bus } from './bus.ts';

/** How {@link connectNatsBus} connects. */
export interface NatsBusOptions {
  /** The client name the NATS server shows (the node id). */
  name: string;
  /** How long the first connection may take; default 5 s. */
  timeoutMs?: number;
  logger?: Logger;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** `url` without a password, for messages and logs. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/,]*@/g, '//***@');
}

function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

/**
 * Connects to NATS (`url`: one or more comma-separated `nats://host:port`). A server that does not
 * answer within the timeout rejects with `UNREACHABLE` (no retries at start); once connected,
 * lost connections are NATS's own reconnects, for ever, each logged.
 */
export async function connectNatsBus(url: string, opts: NatsBusOptions): Promise<Bus> {
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const shown = redactUrl(url);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (servers.length === 0) throw new BusError('UNREACHABLE', `cannot reach NATS at ${shown}: no server given`);
  const attempt = connect({
    servers,
    name: opts.name,
    timeout: timeoutMs,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    waitOnFirstConnect: false,
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  let nc: NatsConnection;
  try {
    nc = await Promise.race([attempt, deadline]);
  } catch (err) {
    // A connection that completes after the deadline is closed at once.
    void attempt.then(
      (late) => late.close(),
      () => undefined,
    );
    throw new BusError('UNREACHABLE', `cannot reach NATS at ${shown}: ${reasonOf(err)}`);
  } finally {
    clearTimeout(timer);
  }
  return new NatsBus(nc, opts.logger ?? silentLogger);
}

/** The {@link Bus} over one NATS connection (docs/cluster.md "Bus"). */
export class NatsBus implements Bus {
  readonly #nc: NatsConnection;
  readonly #logger: Logger;
  readonly #subs = new Set<Subscription>();
  #closing: Promise<void> | undefined;

  constructor(nc: NatsConnection, logger: Logger = silentLogger) {
    this.#nc = nc;
    this.#logger = logger;
    void this.#watch();
  }

  async #watch(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === 'disconnect') this.#logger.warn({ server: s.server }, 'NATS connection lost; reconnecting');
      else if (s.type === 'reconnect') this.#logger.info({ server: s.server }, 'NATS connection restored');
      else if (s.type === 'error') this.#logger.warn({ err: s.error }, 'NATS error');
      else if (s.type === 'slowConsumer') this.#logger.warn({ pending: s.pending }, 'NATS slow consumer');
    }
  }

  async request(subject: string, data: string, timeoutMs: number): Promise<string> {
    if (this.#closing) throw closedError();
    try {
      const msg = await this.#nc.request(subject, data, { timeout: Math.max(1, Math.ceil(timeoutMs)) });
      return msg.string();
    } catch (err) {
      throw this.#requestError(err, subject, timeoutMs);
    }
  }

  #requestError(err: unknown, subject: string, timeoutMs: number): unknown {
    if (this.#closing || this.#nc.isClosed()) return closedError();
    if (err instanceof natsErrors.TimeoutError)
      return new BusError('TIMEOUT', `no reply on ${subject} within ${timeoutMs} ms`);
    const noResponders =
      err instanceof natsErrors.NoRespondersError || (err instanceof natsErrors.RequestError && err.isNoResponders());
    if (noResponders) return new BusError('NO_RESPONDERS', `no responders on ${subject}`);
    if (err instanceof natsErrors.ClosedConnectionError || err instanceof natsErrors.DrainingConnectionError)
      return closedError();
    if (err instanceof natsErrors.RequestError)
      // Requests in flight when the connection drops are rejected: the reply may never come.
      return new BusError('TIMEOUT', `no reply on ${subject}: ${err.message}`);
    return err;
  }

  serve(
    subject: string,
    handler: (data: string, subject: string) => Promise<string>,
    opts: { queue?: string } = {},
  ): () => void {
    return this.#subscribe(subject, opts.queue, (msg) => {
      Promise.resolve()
        .then(() => handler(msg.string(), msg.subject))
        .then(
          (answer) => {
            // While the connection drains, a reply still goes out; once it is closed there is none.
            if (!msg.reply || this.#nc.isClosed()) return;
            try {
              msg.respond(answer);
            } catch (err) {
              this.#logger.warn({ err, subject: msg.subject }, 'bus reply not sent');
            }
          },
          (err: unknown) => this.#logger.warn({ err, subject: msg.subject }, 'bus request handler failed; no reply'),
        );
    });
  }

  publish(subject: string, data: string): void {
    if (this.#closing) throw closedError();
    this.#nc.publish(subject, data);
  }

  subscribe(subject: string, handler: (data: string, subject: string) => void): () => void {
    return this.#subscribe(subject, undefined, (msg) => {
      try {
        handler(msg.string(), msg.subject);
      } catch (err) {
        this.#logger.warn({ err, subject: msg.subject }, 'bus subscriber failed');
      }
    });
  }

  #subscribe(subject: string, queue: string | undefined, onMsg: (msg: Msg) => void): () => void {
    if (this.#closing) throw closedError();
    const sub = this.#nc.subscribe(subject, {
      ...(queue !== undefined ? { queue } : {}),
      callback: (err, msg) => {
        if (err) this.#logger.warn({ err, subject }, 'NATS subscription failed');
        else onMsg(msg);
      },
    });
    this.#subs.add(sub);
    return () => {
      if (!this.#subs.delete(sub) || this.#nc.isClosed()) return;
      sub.unsubscribe();
    };
  }

  async flush(): Promise<void> {
    if (this.#closing) throw closedError();
    await this.#nc.flush();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#nc.isClosed()) return;
      try {
        await this.#nc.drain();
      } catch (err) {
        // A connection that cannot drain (it is reconnecting) is closed outright.
        this.#logger.warn({ err }, 'NATS drain failed; closing');
        await this.#nc.close();
      }
    })();
    return this.#closing;
  }
}

function closedError(): BusError {
  return new BusError('CLOSED', 'the bus is closed');
}
