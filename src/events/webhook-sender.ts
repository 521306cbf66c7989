import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { AppError } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import { signWebhook } from './signature.ts';
import type { SsrfGuard } from './ssrf-guard.ts';

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

function hasCode(err: unknown, code: string): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === code) return true;
  }
  return false;
}

function retryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v !== undefined && /^\d{1,6}$/.test(v) ? Number(v) : undefined;
}

/** Sends signed webhook requests over a keep-alive undici Agent. */
export class WebhookSender {
  readonly #opts: WebhookSenderOptions;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;

  constructor(opts: WebhookSenderOptions) {
    this.#opts = opts;
    this.#ownsDispatcher = opts.dispatcher === undefined;
    this.#dispatcher =
      opts.dispatcher ??
      new Agent({ connections: opts.connectionsPerOrigin, keepAliveTimeout: 10_000, connect: { lookup: opts.guard.connectLookup() } });
  }

  /** POST (or the target's method) `body` signed with `secret`; never throws. */
  async send(target: DeliveryTarget, body: string, secret: string): Promise<SendResult> {
    const { clock } = this.#opts;
    const started = clock.now();
    const elapsed = () => clock.now() - started;
    try {
      if (!/^https?:\/\//i.test(target.uri)) throw new AppError('INVALID_URI', `not an http(s) URL: ${target.uri}`);
      await this.#opts.guard.check(target.uri);
    } catch (err) {
      return { statusCode: 0, error: hasCode(err, 'SSRF_BLOCKED') ? 'SSRF_BLOCKED' : 'INVALID_URI', latencyMs: 0 };
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer = clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#opts.timeoutMs);
    try {
      const headers = {
        ...signWebhook(secret, body, Math.floor(clock.now() / 1000)),
        'content-type': 'application/json',
        'user-agent': 'callbin',
      };
      const method = (target.method || 'POST').toUpperCase() as Dispatcher.HttpMethod;
      const res = await request(target.uri, { dispatcher: this.#dispatcher, method, headers, body, signal: controller.signal });
      // The body must be consumed for the connection to return to the keep-alive pool.
      await res.body.dump();
      const after = retryAfter(res.headers['retry-after']);
      return { statusCode: res.statusCode, error: '', latencyMs: elapsed(), ...(after !== undefined ? { retryAfterSec: after } : {}) };
    } catch (err) {
      if (timedOut) return { statusCode: 0, error: 'TIMEOUT', latencyMs: elapsed() };
      if (hasCode(err, 'SSRF_BLOCKED')) return { statusCode: 0, error: 'SSRF_BLOCKED', latencyMs: elapsed() };
      return { statusCode: 0, error: 'CONNECTION_ERROR', latencyMs: elapsed() };
    } finally {
      clock.clearTimeout(timer);
    }
  }

  /** Close the own Agent's connections. */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }
}
