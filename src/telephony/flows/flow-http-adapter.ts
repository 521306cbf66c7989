import type { Dispatcher } from 'undici';
import { signWebhook } from '../../events/index.ts';
import type { FetchRequest, HttpPort, WebhookRequest } from '../../flows/index.ts';
import { AppError, GuardedFetch, NotFoundError } from '../../shared/index.ts';
import type { Clock, GuardedFetchCodes, GuardedResponse, SsrfGuard } from '../../shared/index.ts';
import type { Store } from '../../store/index.ts';
import type { TimelineRecorder } from '../../timeline/index.ts';
import { HttpTimeline } from '../timeline/http-entries.ts';

/** How long one `webhook_send` or `fetch` request may take, answer included (ms). */
export const FLOW_HTTP_TIMEOUT_MS = 5000;

/** The largest `fetch` answer read (bytes); a larger one is an action error. */
export const MAX_FETCH_RESPONSE_BYTES = 1024 * 1024;

/** What the adapter is built from. */
export interface FlowHttpAdapterOptions {
  /** Where a customer's `webhook_secret` is read. */
  store: Pick<Store, 'customers'>;
  clock: Clock;
  /** Refuses internal targets in production mode: every connection and every redirect hop (docs/security.md). */
  guard: SsrfGuard;
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** Use this dispatcher instead of an own guarded keep-alive Agent (the caller closes it). */
  dispatcher?: Dispatcher;
  /** Each request is an `http` entry of its activeflow's timeline (docs/timeline.md "Entries"). */
  timeline?: TimelineRecorder;
}

/** The answer read of a `webhook_send` before it is dropped (bytes). */
const WEBHOOK_ANSWER_MAX_BYTES = 64 * 1024;

/** One HTTP exchange as the adapter sends it. */
interface Exchange {
  url: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: string | undefined;
  /** Prefix of the timeout error code: `WEBHOOK` → `WEBHOOK_TIMEOUT`. */
  kind: 'WEBHOOK' | 'FETCH';
}

function codesOf(kind: Exchange['kind']): GuardedFetchCodes {
  return {
    invalidUrl: 'INVALID_URI',
    failed: 'HTTP_REQUEST_FAILED',
    timeout: `${kind}_TIMEOUT`,
    tooLarge: kind === 'FETCH' ? 'FETCH_RESPONSE_TOO_LARGE' : 'WEBHOOK_RESPONSE_TOO_LARGE',
  };
}

/**
 * Outgoing HTTP of flow actions (the engine's HttpPort) over undici. `webhook_send` requests are
 * signed exactly like event webhooks with the customer's `webhook_secret`; `fetch` sends the
 * activeflow as JSON (POST/PUT/DELETE body, or `?activeflow_id=` for GET) and expects a JSON array
 * of actions back. Every request goes through the GuardedFetch: a timeout, a size limit, redirects
 * followed by hand and, in production mode, the SSRF guard on every connection and hop.
 */
export class FlowHttpAdapter implements HttpPort {
  readonly #store: Pick<Store, 'customers'>;
  readonly #clock: Clock;
  readonly #http: GuardedFetch;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #timeline: HttpTimeline;

  constructor(options: FlowHttpAdapterOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs ?? FLOW_HTTP_TIMEOUT_MS;
    this.#maxResponseBytes = options.maxResponseBytes ?? MAX_FETCH_RESPONSE_BYTES;
    this.#timeline = new HttpTimeline(options.timeline, options.clock);
    this.#http = new GuardedFetch({
      guard: options.guard,
      clock: options.clock,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  }

  /** Sends the signed request; resolves with the status once the answer has been read. */
  async send(request: WebhookRequest, signal: AbortSignal): Promise<{ status: number }> {
    const body = request.method === 'GET' ? undefined : request.data;
    const headers = {
      ...(await this.#signature(request.customer_id, body ?? '')),
      ...(body !== undefined ? { 'content-type': request.data_type } : {}),
    };
    const res = await this.#timeline.timed({ ...request, url: request.uri, action_type: 'webhook_send' }, () =>
      this.#exchange({ url: request.uri, method: request.method, headers, body, kind: 'WEBHOOK' }, signal),
    );
    return { status: res.status };
  }

  /** Sends the activeflow and resolves with the answer, which must be a 2xx JSON array within the size limit. */
  async fetchJson(request: FetchRequest, signal: AbortSignal): Promise<unknown> {
    const withBody = request.method !== 'GET';
    const body = withBody ? JSON.stringify(request.body) : undefined;
    const url = withBody ? request.url : withQuery(request.url, { activeflow_id: request.activeflow_id });
    const headers = {
      ...(await this.#signature(request.customer_id, body ?? '')),
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    };
    const res = await this.#timeline.timed({ ...request, action_type: 'fetch' }, () =>
      this.#exchange({ url, method: request.method, headers, body, kind: 'FETCH' }, signal),
    );
    if (res.status < 200 || res.status >= 300)
      throw new AppError('FETCH_FAILED', `${request.method} ${request.url} answered ${res.status}`);
    return parseActionList(Buffer.from(res.body).toString('utf8'), request.url);
  }

  /** Closes the own Agent's connections. */
  async close(): Promise<void> {
    await this.#http.close();
  }

  async #signature(customerId: string, body: string): Promise<Record<string, string>> {
    const customer = await this.#store.customers.get(customerId);
    if (customer === undefined) throw new NotFoundError('CUSTOMER_NOT_FOUND', `customer ${customerId} does not exist`);
    return {
      ...signWebhook(customer.webhook_secret, body, Math.floor(this.#clock.now() / 1000)),
      'user-agent': 'callbin',
    };
  }

  #exchange(exchange: Exchange, signal: AbortSignal): Promise<GuardedResponse> {
    return this.#http.request({
      url: exchange.url,
      method: exchange.method,
      headers: exchange.headers,
      ...(exchange.body !== undefined ? { body: exchange.body } : {}),
      timeoutMs: this.#timeoutMs,
      // A webhook's answer is only drained (so the connection can be reused); a fetch's is parsed.
      ...(exchange.kind === 'FETCH'
        ? { maxBytes: this.#maxResponseBytes }
        : { maxBytes: WEBHOOK_ANSWER_MAX_BYTES, bodyMode: 'discard' as const }),
      codes: codesOf(exchange.kind),
      signal,
    });
  }
}

function withQuery(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [key, value] of Object.entries(params)) u.searchParams.set(key, value);
  return u.toString();
}

function parseActionList(text: string, url: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new AppError('FETCH_INVALID_JSON', `${url} did not answer JSON`, { cause: err });
  }
  if (!Array.isArray(parsed))
    throw new AppError('FETCH_INVALID_RESPONSE', `${url} answered JSON that is not an array of actions`);
  return parsed;
}
