import { silentLogger, systemClock, type Clock, type Logger, type TimerHandle } from '../shared/index.ts';
import { BusError, type Bus } from './bus.ts';
import { isPattern, isSendSubject, subjectMatches } from './subject-match.ts';

/** One subscription or server of a connection on the broker. */
interface Subscription {
  readonly pattern: string;
  readonly queue: string | undefined;
  active: boolean;
  deliver(data: string, subject: string, reply: ((answer: string) => void) | undefined): void;
}

/**
 * The server side of {@link InProcessBus}: the subscriptions of every connection made on it. One
 * node uses one connection; tests open several on one broker to stand in for several nodes.
 */
export class InProcessBroker {
  readonly #subs = new Set<Subscription>();
  readonly #nextInQueue = new Map<string, number>();

  /** @internal Adds a subscription of a connection. */
  add(sub: Subscription): void {
    this.#subs.add(sub);
  }

  /** @internal Removes a subscription; nothing is delivered to it afterwards. */
  remove(sub: Subscription): void {
    sub.active = false;
    this.#subs.delete(sub);
  }

  /**
   * Hands a message to every matching subscription outside a queue group and to one member of each
   * matching queue group, each on a later microtask in publish order; returns how many it reached.
   */
  route(subject: string, data: string, reply?: (answer: string) => void): number {
    const chosen: Subscription[] = [];
    const groups = new Map<string, Subscription[]>();
    for (const sub of this.#subs) {
      if (!subjectMatches(sub.pattern, subject)) continue;
      if (sub.queue === undefined) chosen.push(sub);
      else {
        let members = groups.get(sub.queue);
        if (!members) groups.set(sub.queue, (members = []));
        members.push(sub);
      }
    }
    for (const [queue, members] of groups) {
      // Round robin within a queue group, as NATS spreads a group's messages over its members.
      const n = this.#nextInQueue.get(queue) ?? 0;
      this.#nextInQueue.set(queue, n + 1);
      chosen.push(members[n % members.length]!);
    }
    for (const sub of chosen) {
      queueMicrotask(() => {
        if (sub.active) sub.deliver(data, subject, reply);
      });
    }
    return chosen.length;
  }
}

/** What an {@link InProcessBus} needs; all optional. */
export interface InProcessBusOptions {
  /** Share a broker to let several buses (nodes) talk; default: a broker of its own. */
  broker?: InProcessBroker;
  logger?: Logger;
  clock?: Clock;
}

/**
 * The {@link Bus} of a single node (docs/cluster.md "Bus"): the same semantics as NATS — wildcards,
 * queue groups, `NO_RESPONDERS` at once, `TIMEOUT`, `CLOSED` — without a server.
 */
export class InProcessBus implements Bus {
  readonly #broker: InProcessBroker;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #subs = new Set<Subscription>();
  readonly #pending = new Set<(err: BusError) => void>();
  #closed = false;

  constructor(opts: InProcessBusOptions = {}) {
    this.#broker = opts.broker ?? new InProcessBroker();
    this.#logger = opts.logger ?? silentLogger;
    this.#clock = opts.clock ?? systemClock;
  }

  request(subject: string, data: string, timeoutMs: number): Promise<string> {
    if (this.#closed) return Promise.reject(closedError());
    if (!isSendSubject(subject)) return Promise.reject(new TypeError(`invalid subject to send on: ${subject}`));
    return new Promise<string>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      let done = false;
      const fail = (err: BusError): void => settle(() => reject(err));
      const settle = (fn: () => void): void => {
        if (done) return;
        done = true;
        this.#clock.clearTimeout(timer);
        this.#pending.delete(fail);
        fn();
      };
      this.#pending.add(fail);
      const reached = this.#broker.route(subject, data, (answer) => settle(() => resolve(answer)));
      if (reached === 0) fail(new BusError('NO_RESPONDERS', `no responders on ${subject}`));
      else
        timer = this.#clock.setTimeout(
          () => fail(new BusError('TIMEOUT', `no reply on ${subject} within ${timeoutMs} ms`)),
          timeoutMs,
        );
    });
  }

  serve(
    subject: string,
    handler: (data: string, subject: string) => Promise<string>,
    opts: { queue?: string } = {},
  ): () => void {
    return this.#add(subject, opts.queue, (data, actual, reply) => {
      Promise.resolve()
        .then(() => handler(data, actual))
        .then(
          (answer) => {
            if (reply && !this.#closed) reply(answer);
          },
          (err: unknown) => this.#logger.warn({ err, subject: actual }, 'bus request handler failed; no reply'),
        );
    });
  }

  publish(subject: string, data: string): void {
    if (this.#closed) throw closedError();
    if (!isSendSubject(subject)) throw new TypeError(`invalid subject to send on: ${subject}`);
    this.#broker.route(subject, data);
  }

  subscribe(subject: string, handler: (data: string, subject: string) => void): () => void {
    return this.#add(subject, undefined, (data, actual) => {
      try {
        handler(data, actual);
      } catch (err) {
        this.#logger.warn({ err, subject: actual }, 'bus subscriber failed');
      }
    });
  }

  async flush(): Promise<void> {
    if (this.#closed) throw closedError();
    // Deliveries are microtasks queued at publish time: one macrotask later they have all run.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const sub of this.#subs) this.#broker.remove(sub);
    this.#subs.clear();
    for (const fail of [...this.#pending]) fail(closedError());
  }

  #add(pattern: string, queue: string | undefined, deliver: Subscription['deliver']): () => void {
    if (this.#closed) throw closedError();
    if (!isPattern(pattern)) throw new TypeError(`invalid subject to listen on: ${pattern}`);
    const sub: Subscription = { pattern, queue, active: true, deliver };
    this.#subs.add(sub);
    this.#broker.add(sub);
    return () => {
      this.#subs.delete(sub);
      this.#broker.remove(sub);
    };
  }
}

function closedError(): BusError {
  return new BusError('CLOSED', 'the bus is closed');
}
