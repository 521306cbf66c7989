import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { AppError, guardedAgent, hasCauseCode, httpUrlProblem } from '../shared/index.ts';
import type { Clock, SsrfGuard } from '../shared/index.ts';
import { WebhookSigningKey } from './signature.ts';

/** Where one delivery goes. */
export interface DeliveryTarget {
  uri: string;
  method: string;
}

/** What one HTTP attempt produced: a status code, or an error code when nothing answered. */
export interface SendResult {
  /** 0 when the receiver never answered. */
  statusCode: number;
  /** '' on an answer; `TIMEOUT`, `CONNECTION_ERROR`, `SSRF_BLOCKED` or `INVALID_URI` otherwise. */
  error: string;
  latencyMs: number;
  retryAfterSec?: number;
}

/** Options of the sender. */
export interface WebhookSenderOptions {
  clock: Clock;
  guard: SsrfGuard;
  timeoutMs: number;
  /** Keep-alive connections per origin. */
  connectionsPerOrigin: number;
  /** Use this dispatcher instead of an own keep-alive Agent (the caller closes it). */
  dispatcher?: Dispatcher;
}

function retryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v !== undefined && /^\d{1,6}$/.test(v) ? Number(v) : undefined;
}

const TARGETS_MAX = 1000;

/** One request's undici handler: records the status, drops the body, settles once. */
class Attempt implements Dispatcher.DispatchHandler {
  timer: ReturnType<Clock['setTimeout']> | undefined;
  readonly #clock: Clock;
  readonly #started: number;
  readonly #resolve: (r: SendResult) => void;
  #controller: Dispatcher.DispatchController | undefined;
  #statusCode = 0;
  #retryAfterSec: number | undefined;
  #timedOut = false;
  #settled = false;

  constructor(clock: Clock, resolve: (r: SendResult) => void) {
    this.#clock = clock;
    this.#started = clock.now();
    this.#resolve = resolve;
  }

  timeOut(): void {
    this.#timedOut = true;
    const timeout = new Error('webhook request timed out');
    if (this.#controller) this.#controller.abort(timeout);
    // Still queued for a connection: answer now; onRequestStart aborts it when it gets one.
    else this.#settle({ statusCode: 0, error: 'TIMEOUT', latencyMs: this.#clock.now() - this.#started });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#timedOut) controller.abort(new Error('webhook request timed out'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx interim responses are followed by the final one.
    this.#statusCode = statusCode;
    this.#retryAfterSec = retryAfter(headers['retry-after']);
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    const r: SendResult = { statusCode: this.#statusCode, error: '', latencyMs: this.#clock.now() - this.#started };
    this.#settle(this.#retryAfterSec === undefined ? r : { ...r, retryAfterSec: this.#retryAfterSec });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    const error = this.#timedOut ? 'TIMEOUT' : hasCauseCode(err, 'SSRF_BLOCKED') ? 'SSRF_BLOCKED' : 'CONNECTION_ERROR';
    this.#settle({ statusCode: 0, error, latencyMs: this.#clock.now() - this.#started });
  }

  #settle(r: SendResult): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#clock.clearTimeout(this.timer);
    this.#resolve(r);
  }
}

/** How long a target's SSRF pre-check holds; the authoritative check runs at every connect. */
const CHECK_TTL_MS = 30_000;
const KEYS_MAX = 1000;
const STATIC_HEADERS = ['content-type', 'application/json', 'user-agent', 'callbin'] as const;

interface Where {
  origin: string;
  path: string;
  /** When the guard last passed this URL (clock ms); -Infinity before the first check. */
  checkedAt: number;
}

/**
 * Sends signed webhook requests over a keep-alive undici Agent whose connections the SSRF guard
 * checks (the same `guardedAgent` as every other request made for a customer, docs/security.md).
 * A redirect is not followed: a 3xx is the receiver's answer, a final failure.
 *
 * Per request it costs one UTF-8 encoding of the body (signed and sent as the same bytes), two
 * one-shot SHA-256 pairs over pre-padded keys (`WebhookSigningKey`) and an undici `dispatch()`.
 * The guard's pre-check of a URL (a DNS lookup for a host name) is repeated at most every
 * {@link CHECK_TTL_MS}: it only answers `SSRF_BLOCKED` early, since the connector refuses an internal
 * address whenever a connection is opened.
 */
export class WebhookSender {
  readonly #opts: WebhookSenderOptions;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #targets = new Map<string, Where>();
  readonly #keys = new Map<string, WebhookSigningKey>();

  constructor(opts: WebhookSenderOptions) {
    this.#opts = opts;
    this.#ownsDispatcher = opts.dispatcher === undefined;
    this.#dispatcher = opts.dispatcher ?? guardedAgent(opts.guard, opts.connectionsPerOrigin);
  }

  /** POST (or the target's method) `body` signed with `secret`; never throws. */
  send(target: DeliveryTarget, body: string, secret: string): Promise<SendResult> {
    let where: Where;
    try {
      where = this.#whereOf(target.uri);
    } catch {
      return Promise.resolve({ statusCode: 0, error: 'INVALID_URI', latencyMs: 0 });
    }
    const { clock, guard } = this.#opts;
    if (clock.now() - where.checkedAt < CHECK_TTL_MS) return this.#dispatch(where, target.method, body, secret);
    return guard.check(target.uri).then(
      () => {
        where.checkedAt = clock.now();
        return this.#dispatch(where, target.method, body, secret);
      },
      (err: unknown) => ({
        statusCode: 0,
        error: hasCauseCode(err, 'SSRF_BLOCKED') ? 'SSRF_BLOCKED' : 'INVALID_URI',
        latencyMs: 0,
      }),
    );
  }

  #dispatch(where: Where, targetMethod: string, body: string, secret: string): Promise<SendResult> {
    const { clock } = this.#opts;
    const bytes = Buffer.from(body, 'utf8');
    const headers = this.#keyOf(secret).headers(bytes, Math.floor(clock.now() / 1000));
    headers.push(...STATIC_HEADERS);
    const method = (
      targetMethod === 'POST' || !targetMethod ? 'POST' : targetMethod.toUpperCase()
    ) as Dispatcher.HttpMethod;
    return new Promise<SendResult>((resolve) => {
      const attempt = new Attempt(clock, resolve);
      attempt.timer = clock.setTimeout(() => attempt.timeOut(), this.#opts.timeoutMs);
      try {
        // dispatch() with a handler that drops the response body: no body stream, no promise per part.
        this.#dispatcher.dispatch({ origin: where.origin, path: where.path, method, headers, body: bytes }, attempt);
      } catch (err) {
        attempt.onResponseError(undefined, err as Error);
      }
    });
  }

  #keyOf(secret: string): WebhookSigningKey {
    let key = this.#keys.get(secret);
    if (!key) {
      key = new WebhookSigningKey(secret);
      if (this.#keys.size >= KEYS_MAX) this.#keys.clear();
      this.#keys.set(secret, key);
    }
    return key;
  }

  /** Origin and path of an http(s) URL, remembered per URL (a customer's few targets repeat). */
  #whereOf(uri: string): Where {
    let where = this.#targets.get(uri);
    if (!where) {
      const problem = httpUrlProblem(uri);
      if (problem !== undefined) throw new AppError('INVALID_URI', `${uri} ${problem}`);
      const url = new URL(uri);
      where = { origin: url.origin, path: `${url.pathname}${url.search}`, checkedAt: Number.NEGATIVE_INFINITY };
      if (this.#targets.size >= TARGETS_MAX) this.#targets.clear();
      this.#targets.set(uri, where);
    }
    return where;
  }

  /** Close the own Agent's connections. */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }
}
