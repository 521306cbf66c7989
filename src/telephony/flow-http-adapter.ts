import { Agent, request as undiciRequest } from 'undici';
import type { Dispatcher } from 'undici';
import { signWebhook } from '../events/index.ts';
import type { SsrfGuard } from '../events/index.ts';
import type { FetchRequest, HttpPort, WebhookRequest } from '../flows/index.ts';
import { AppError, NotFoundError } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Store } from '../store/index.ts';

/** How long one `webhook_send` or `fetch` request may take, answer included (ms). */
export const FLOW_HTTP_TIMEOUT_MS = 5000;

/** The largest `fetch` answer read (bytes); a larger one is an action error. */
export const MAX_FETCH_RESPONSE_BYTES = 1024 * 1024;

/** What the adapter is built from. */
export interface FlowHttpAdapterOptions {
  /** Where a customer's `webhook_secret` is read. */
  store: Pick<Store, 'customers'>;
  clock: Clock;
  /** Refuses internal targets in production mode (and re-checks addresses at connect time). */
  guard: SsrfGuard;
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** Use this dispatcher instead of an own keep-alive Agent (the caller closes it). */
  dispatcher?: Dispatcher;
}

/** One HTTP exchange as the adapter sends it. */
interface Exchange {
  url: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: string | undefined;
  /** Prefix of the timeout error code: `WEBHOOK` → `WEBHOOK_TIMEOUT`. */
  kind: 'WEBHOOK' | 'FETCH';
}

function hasCode(err: unknown, code: string): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === code) return true;
  }
  return false;
}

/**
 * Outgoing HTTP of flow actions (the engine's HttpPort) over undici. `webhook_send` requests are
 * signed exactly like event webhooks with the customer's `webhook_secret`; `fetch` sends the
 * activeflow as JSON (POST/PUT/DELETE body, or `?activeflow_id=` for GET) and expects a JSON array
 * of actions back. Every request is bounded by a timeout and, in production mode, the SSRF guard.
 */
export class FlowHttpAdapter implements HttpPort {
  readonly #store: Pick<Store, 'customers'>;
  readonly #clock: Clock;
  readonly #guard: SsrfGuard;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;

  constructor(options: FlowHttpAdapterOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#guard = options.guard;
    this.#timeoutMs = options.timeoutMs ?? FLOW_HTTP_TIMEOUT_MS;
    this.#maxResponseBytes = options.maxResponseBytes ?? MAX_FETCH_RESPONSE_BYTES;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connect: { lookup: options.guard.connectLookup() } });
  }

  /** Sends the signed request; resolves with the status once the answer has been read. */
  async send(request: WebhookRequest, signal: AbortSignal): Promise<{ status: number }> {
    const body = request.method === 'GET' ? undefined : request.data;
    const headers = {
      ...(await this.#signature(request.customer_id, body ?? '')),
      ...(body !== undefined ? { 'content-type': request.data_type } : {}),
    };
    return this.#exchange({ url: request.uri, method: request.method, headers, body, kind: 'WEBHOOK' }, signal, async (res) => {
      // The body must be consumed for the connection to return to the keep-alive pool.
      await res.body.dump();
      return { status: res.statusCode };
    });
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
    return this.#exchange({ url, method: request.method, headers, body, kind: 'FETCH' }, signal, async (res) => {
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump();
        throw new AppError('FETCH_FAILED', `${request.method} ${request.url} answered ${res.statusCode}`);
      }
      return parseActionList(await this.#readText(res, request.url), request.url);
    });
  }

  /** Closes the own Agent's connections. */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async #signature(customerId: string, body: string): Promise<Record<string, string>> {
    const customer = await this.#store.customers.get(customerId);
    if (customer === undefined) throw new NotFoundError('CUSTOMER_NOT_FOUND', `customer ${customerId} does not exist`);
    return { ...signWebhook(customer.webhook_secret, body, Math.floor(this.#clock.now() / 1000)), 'user-agent': 'callbin' };
  }

  async #exchange<T>(exchange: Exchange, signal: AbortSignal, read: (res: Dispatcher.ResponseData) => Promise<T>): Promise<T> {
    if (signal.aborted) throw signal.reason;
    await this.#guard.check(exchange.url);
    const controller = new AbortController();
    const timeout = new AppError(`${exchange.kind}_TIMEOUT`, `${exchange.method} ${exchange.url}: no answer within ${this.#timeoutMs} ms`);
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = this.#clock.setTimeout(() => controller.abort(timeout), this.#timeoutMs);
    try {
      const res = await undiciRequest(exchange.url, {
        dispatcher: this.#dispatcher,
        method: exchange.method,
        headers: exchange.headers,
        ...(exchange.body !== undefined ? { body: exchange.body } : {}),
        signal: controller.signal,
      });
      return await read(res);
    } catch (err) {
      // Whichever stopped the exchange names the error: the caller's abort, the timeout, or the guard.
      if (controller.signal.aborted) throw controller.signal.reason;
      if (err instanceof AppError) throw err;
      if (hasCode(err, 'SSRF_BLOCKED')) throw new AppError('SSRF_BLOCKED', `${exchange.url} resolves to an internal address`, { cause: err });
      throw new AppError('HTTP_REQUEST_FAILED', `${exchange.method} ${exchange.url} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      this.#clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  async #readText(res: Dispatcher.ResponseData, url: string): Promise<string> {
    const declared = Number(res.headers['content-length'] ?? 0);
    const tooLarge = (): AppError => new AppError('FETCH_RESPONSE_TOO_LARGE', `${url} answered more than ${this.#maxResponseBytes} bytes`);
    if (declared > this.#maxResponseBytes) {
      res.body.destroy();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > this.#maxResponseBytes) {
        res.body.destroy();
        throw tooLarge();
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
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
  if (!Array.isArray(parsed)) throw new AppError('FETCH_INVALID_RESPONSE', `${url} answered JSON that is not an array of actions`);
  return parsed;
}
