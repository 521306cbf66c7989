import type { Dispatcher } from 'undici';
import type { Clock, Logger, TimerHandle } from '../shared/index.ts';
import type { ClaimedDelivery, DeliveryAttempt, Store, WebhookDelivery } from '../store/index.ts';
import { deliveryLogIds } from './delivery-log-ids.ts';
import { DeliveryQueues } from './delivery-queues.ts';
import { envelopeText } from './envelope.ts';
import type { EventHub, QueuedDelivery } from './event-hub.ts';
import { outcomeOfStatus, retryDelayMs } from './retry-policy.ts';
import { SsrfGuard, isoTime } from '../shared/index.ts';
import type { ResolveHost } from '../shared/index.ts';
import { WebhookSender } from './webhook-sender.ts';
import { webhookEntry } from './delivery-timeline.ts';
import type { TimelineRecorder } from '../timeline/index.ts';
import type { SendResult } from './webhook-sender.ts';

/** Options of the delivery worker; durations in milliseconds. */
export interface DeliveryWorkerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  mode: 'local' | 'production';
  /** Wakes the worker as soon as deliveries are queued in this process. */
  hub?: EventHub;
  /** Requests in flight at once (across all targets). */
  concurrency?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  pollIntervalMs?: number;
  /** How long a claimed delivery is owned before another worker may take it over. */
  leaseMs?: number;
  retryBaseMs?: number;
  retryCapMs?: number;
  /** Production-mode exceptions to the SSRF guard (IPs, CIDRs, host names). */
  ssrfAllow?: readonly string[];
  resolveHost?: ResolveHost;
  random?: () => number;
  dispatcher?: Dispatcher;
  /** Each attempt of an event of a call, activeflow or conference is a `webhook` entry (docs/timeline.md). */
  timeline?: TimelineRecorder;
}

const SECRET_CACHE_MS = 5_000;
/** Requests in flight at most while call set-ups need the event loop (started by the poll only). */
const TRICKLE = 2;

/** Tells when call set-ups need the event loop, so webhook sends wait (the calls' OverloadGuard). */
export interface DeliveryPressure {
  pressure(): boolean;
  on(event: 'pressure', listener: (underPressure: boolean) => void): () => void;
}

/**
 * Sends queued webhook deliveries: due rows are leased from the store, sent with bounded
 * concurrency, and their outcome recorded, so a restart resumes where the last process stopped.
 *
 * The store is visited in rounds, at most one per event-loop turn: a round writes every outcome of
 * the turn and leases the next delivery of each queue that moved on (the queues this process was
 * told about, or whose delivery just finished), so a call's events follow each other without a scan
 * of the whole backlog. The poll (and start) claims whatever else is due: retries, leases of a
 * crashed process, rows queued by another process.
 */
export class DeliveryWorker {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #hub: EventHub | undefined;
  readonly #timeline: TimelineRecorder | undefined;
  readonly #sender: WebhookSender;
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly #backoff: { baseMs: number; capMs: number; random: () => number };
  readonly #inflight = new Set<Promise<void>>();
  readonly #queues = new DeliveryQueues();
  #roundScheduled = false;
  #round: Promise<void> | undefined;
  readonly #secrets = new Map<string, { secret: string | undefined; at: number }>();
  #state: 'idle' | 'running' | 'stopped' = 'idle';
  #pumping: Promise<void> | undefined;
  #again = false;
  #polling = false;
  #timer: TimerHandle | undefined;
  #unsubscribe: (() => void) | undefined;
  #pressure: DeliveryPressure | undefined;
  #unsubscribePressure: (() => void) | undefined;

  constructor(opts: DeliveryWorkerOptions) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#logger = opts.logger.child({ module: 'webhook-delivery' });
    this.#hub = opts.hub;
    this.#timeline = opts.timeline?.enabled ? opts.timeline : undefined;
    this.#concurrency = opts.concurrency ?? 16;
    this.#maxAttempts = opts.maxAttempts ?? 10;
    this.#pollIntervalMs = opts.pollIntervalMs ?? 500;
    const timeoutMs = opts.timeoutMs ?? 5000;
    this.#leaseMs = opts.leaseMs ?? timeoutMs + 25_000;
    this.#backoff = {
      baseMs: opts.retryBaseMs ?? 1000,
      capMs: opts.retryCapMs ?? 3_600_000,
      random: opts.random ?? Math.random,
    };
    const guard = new SsrfGuard({
      mode: opts.mode,
      ...(opts.ssrfAllow ? { allow: opts.ssrfAllow } : {}),
      ...(opts.resolveHost ? { resolve: opts.resolveHost } : {}),
    });
    this.#sender = new WebhookSender({
      clock: opts.clock,
      guard,
      timeoutMs,
      connectionsPerOrigin: this.#concurrency,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    });
  }

  /** Requests currently in flight. */
  get inFlight(): number {
    return this.#inflight.size;
  }

  /** Take over deliveries whose lease expired (a crashed process) and start sending. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    this.#unsubscribe = this.#hub?.onDeliveriesQueued((keys) => this.#queuedIn(keys));
    await this.#store.deliveries.releaseExpiredLeases(isoTime(this.#clock.now()));
    this.#arm();
    this.notify();
  }

  /**
   * Signalling before webhooks (docs/security.md "Overload"): while `source` is under pressure no
   * new request starts but a trickle from the poll ({@link TRICKLE} in flight); outcomes are still
   * recorded, and the queued deliveries (durable rows) leave as soon as the pressure ends.
   */
  giveWayTo(source: DeliveryPressure): void {
    this.#unsubscribePressure?.();
    this.#pressure = source;
    this.#unsubscribePressure = source.on('pressure', (underPressure) => {
      if (underPressure || this.#state !== 'running') return;
      this.notify();
      this.#scheduleRound();
    });
  }

  #pressed(): boolean {
    return this.#pressure?.pressure() === true;
  }

  /** Look for due deliveries now (coalesced with a look already running). */
  notify(): void {
    if (this.#state !== 'running') return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined;
    });
  }

  /** Stop polling, let requests in flight finish and record their outcome, close connections; idempotent. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#unsubscribe?.();
    this.#unsubscribePressure?.();
    this.#clock.clearTimeout(this.#timer);
    await this.#pumping;
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
    await this.#round;
    await this.#sender.close();
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      if (this.#state !== 'running') return;
      // Re-armed before the async work so polls keep a fixed cadence on the clock.
      this.#arm();
      if (this.#polling) return;
      this.#polling = true;
      this.#store.deliveries
        .releaseExpiredLeases(isoTime(this.#clock.now()))
        .catch((err: unknown) => this.#logger.warn({ err }, 'releasing expired delivery leases failed'))
        .finally(() => {
          this.#polling = false;
          this.notify();
        });
    }, this.#pollIntervalMs);
  }

  async #pump(): Promise<void> {
    try {
      do {
        this.#again = false;
        const free = (this.#pressed() ? TRICKLE : this.#concurrency) - this.#queues.active;
        if (this.#state !== 'running' || free <= 0) return;
        const now = this.#clock.now();
        const claimed = await this.#store.deliveries.claimDueWithEvents({
          nowIso: isoTime(now),
          leaseUntilIso: isoTime(now + this.#leaseMs),
          limit: free,
        });
        for (const c of claimed) this.#launch(c);
      } while (this.#again);
    } catch (err) {
      this.#logger.warn({ err }, 'claiming due webhook deliveries failed');
    }
  }

  #queuedIn(queued: readonly QueuedDelivery[]): void {
    if (this.#state !== 'running') return;
    // Without the queues (e.g. a redelivery) fall back to claiming whatever is due.
    if (queued.length === 0) return this.notify();
    this.#queues.queued(queued);
    this.#scheduleRound();
  }

  #launch(claimed: ClaimedDelivery): void {
    this.#queues.leased(claimed.delivery);
    const task = this.#deliver(claimed)
      .catch((err: unknown) => {
        // No outcome to record: the lease ends on its own and the poll sends it again.
        this.#queues.abandoned(claimed.delivery);
        this.#logger.warn(
          { err, ...deliveryLogIds(claimed.delivery, claimed.event) },
          'webhook delivery bookkeeping failed',
        );
      })
      .finally(() => this.#inflight.delete(task));
    this.#inflight.add(task);
  }

  async #deliver({ delivery: d, event }: ClaimedDelivery): Promise<void> {
    const secret = await this.#secretOf(d.customer_id);
    if (!event || secret === undefined) {
      await this.#finished(d, this.#final(event ? 'CUSTOMER_NOT_FOUND' : 'EVENT_NOT_FOUND'));
      return;
    }
    const result = await this.#sender.send(d, envelopeText(event), secret);
    const attempt = this.#attemptOf(d, result);
    const entry = this.#timeline && webhookEntry(d, event, result);
    if (entry) this.#timeline?.record({ ...entry, atMs: this.#clock.now() - result.latencyMs });
    await this.#finished(d, attempt);
    if (attempt.status !== 'delivered') {
      this.#logger.debug(
        {
          ...deliveryLogIds(d, event),
          uri: d.uri,
          status_code: result.statusCode,
          error: result.error,
          next: attempt.status,
        },
        'webhook attempt failed',
      );
    }
  }

  /** Resolves once the outcome is written by the next round. */
  #finished(d: WebhookDelivery, attempt: DeliveryAttempt): Promise<void> {
    return new Promise<void>((done) => {
      this.#queues.finished(d, d.seq, d.id, attempt, done);
      this.#scheduleRound();
    });
  }

  #scheduleRound(): void {
    if (this.#roundScheduled || this.#round) return;
    this.#roundScheduled = true;
    // Everything that finishes or is queued during this event-loop turn goes in the same round.
    setImmediate(() => {
      this.#roundScheduled = false;
      this.#round = this.#runRound().finally(() => {
        this.#round = undefined;
        if (this.#queues.hasWork(this.#pressed() ? 0 : this.#concurrency)) this.#scheduleRound();
      });
    });
  }

  async #runRound(): Promise<void> {
    const running = this.#state === 'running';
    // Under pressure a round records outcomes but starts nothing; the queues it would look at wait.
    const { outcomes, next } = this.#queues.take(this.#pressed() ? 0 : this.#concurrency, running);
    if (outcomes.length === 0 && next.length === 0) return;
    const now = this.#clock.now();
    try {
      const leased = await this.#store.deliveries.settle({
        outcomes: outcomes.map((o) => o.outcome),
        next,
        nowIso: isoTime(now),
        leaseUntilIso: isoTime(now + this.#leaseMs),
      });
      for (const c of leased) this.#launch(c);
      this.#queues.lookedAt(
        next,
        leased.map((c) => c.delivery),
      );
    } catch (err) {
      // The rows stay leased until their lease ends; then the poll sends them again.
      this.#logger.warn({ err, outcomes: outcomes.length }, 'recording webhook delivery outcomes failed');
    } finally {
      for (const o of outcomes) o.done();
    }
  }

  #attemptOf(d: WebhookDelivery, r: SendResult): DeliveryAttempt {
    const now = this.#clock.now();
    const base = { status_code: r.statusCode, latency_ms: r.latencyMs, next_attempt_at: isoTime(now) };
    if (r.error === 'SSRF_BLOCKED' || r.error === 'INVALID_URI') return { ...base, status: 'failed', error: r.error };
    const outcome = r.statusCode > 0 ? outcomeOfStatus(r.statusCode) : 'retry';
    const error = r.error || (outcome === 'delivered' ? '' : `HTTP_${r.statusCode}`);
    if (outcome === 'delivered') return { ...base, status: 'delivered', error };
    const attempt = d.attempts + 1;
    if (outcome === 'failed' || attempt >= this.#maxAttempts) return { ...base, status: 'failed', error };
    const delayMs = retryDelayMs(attempt, {
      ...this.#backoff,
      ...(r.retryAfterSec !== undefined ? { retryAfterSec: r.retryAfterSec } : {}),
    });
    return { ...base, status: 'pending', error, next_attempt_at: isoTime(now + delayMs) };
  }

  #final(error: string): DeliveryAttempt {
    return { status: 'failed', status_code: 0, error, latency_ms: 0, next_attempt_at: isoTime(this.#clock.now()) };
  }

  async #secretOf(customerId: string): Promise<string | undefined> {
    const now = this.#clock.now();
    const cached = this.#secrets.get(customerId);
    if (cached && now - cached.at < SECRET_CACHE_MS) return cached.secret;
    const customer = await this.#store.customers.get(customerId);
    const secret = customer?.webhook_secret;
    if (this.#secrets.size > 10_000) this.#secrets.clear();
    this.#secrets.set(customerId, { secret, at: now });
    return secret;
  }
}
