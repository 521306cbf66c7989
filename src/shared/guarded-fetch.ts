import { isIP } from 'node:net';
import { Agent, buildConnector, request as undiciRequest } from 'undici';
import type { Dispatcher } from 'undici';
import type { Clock } from './clock.ts';
import { AppError } from './errors.ts';
import type { ErrorCode } from './error-catalogue.ts';
import type { SsrfGuard } from './ssrf-guard.ts';

/** Most redirects one request follows (docs/security.md, outgoing HTTP). */
export const MAX_REDIRECTS = 5;

/** Redirect statuses whose `Location` is followed (RFC 9110 §15.4). */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Error codes a caller wants for each way a request can fail; `SSRF_BLOCKED` is always itself. */
export interface GuardedFetchCodes {
  /** The URL (as given by the customer) is not an absolute http(s) URL. */
  invalidUrl: ErrorCode;
  /** Connection refused, DNS failure, bad redirect, too many redirects. */
  failed: ErrorCode;
  timeout: ErrorCode;
  tooLarge: ErrorCode;
}

/** One request of {@link GuardedFetch.request}. */
export interface GuardedRequest {
  url: string;
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: string;
  /** Time limit of the whole exchange: every hop, headers and body. */
  timeoutMs: number;
  /** Largest body read; a larger one is `codes.tooLarge`. */
  maxBytes: number;
  /** `discard` drops the answer's body (read up to `maxBytes`, then the connection is closed). */
  bodyMode?: 'read' | 'discard';
  codes: GuardedFetchCodes;
  /** The caller's abort: the request stops and rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** The final answer of a request, after any redirects. */
export interface GuardedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
  /** The URL that answered (the last hop). */
  url: string;
}

/** Options of {@link GuardedFetch}. */
export interface GuardedFetchOptions {
  guard: SsrfGuard;
  clock: Clock;
  /** Use this dispatcher instead of an own guarded Agent (the caller closes it and guards its connections). */
  dispatcher?: Dispatcher;
  /** Keep-alive connections per origin of the own Agent. */
  connectionsPerOrigin?: number;
}

/** True when `err` or one of its causes carries `code`. */
export function hasCauseCode(err: unknown, code: string): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === code) return true;
  }
  return false;
}

/** Why `url` is not an absolute http(s) URL, or undefined when it is one. */
export function httpUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not an absolute URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return `has the scheme ${parsed.protocol} but only http and https are fetched`;
  if (parsed.hostname === '') return 'has no host';
  return undefined;
}

/**
 * An undici Agent whose every connection is checked by `guard`: host names at DNS lookup time
 * (so a rebinding answer cannot slip in between a check and the connect), literal IPs before the
 * socket opens.
 */
export function guardedAgent(guard: SsrfGuard, connectionsPerOrigin?: number): Agent {
  const connect = buildConnector({ lookup: guard.connectLookup() });
  const guarded: buildConnector.connector = (options, callback) => {
    const host = options.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && guard.isBlockedAddress(host)) {
      callback(new AppError('SSRF_BLOCKED', `${host} is an internal address`), null);
      return;
    }
    connect(options, callback);
  };
  return new Agent({
    keepAliveTimeout: 10_000,
    connect: guarded,
    ...(connectionsPerOrigin ? { connections: connectionsPerOrigin } : {}),
  });
}

/** Reads a body, stopping as soon as it exceeds `maxBytes`. */
async function readLimited(
  res: Dispatcher.ResponseData,
  url: string,
  maxBytes: number,
  code: ErrorCode,
): Promise<Uint8Array> {
  const declared = Number(res.headers['content-length'] ?? NaN);
  const tooLarge = (): AppError => new AppError(code, `${url}: the answer exceeds ${maxBytes} bytes`);
  if (declared > maxBytes) {
    res.body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      res.body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/** The method and body of the next hop (RFC 9110 §15.4: 303, and 301/302 after POST, become GET). */
function nextHop(
  status: number,
  req: { method: Dispatcher.HttpMethod; headers: Record<string, string>; body: string | undefined },
) {
  const toGet = status === 303 ? req.method !== 'HEAD' : (status === 301 || status === 302) && req.method === 'POST';
  if (!toGet) return req;
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.toLowerCase() !== 'content-type'));
  return { method: 'GET' as const, headers, body: undefined };
}

/**
 * Every HTTP request callbin makes on a customer's behalf (media downloads, flow `fetch` and
 * `webhook_send`): http(s) only, the SSRF guard on every connection, redirects followed by hand
 * (each hop's URL checked again, at most {@link MAX_REDIRECTS}), one time limit for the whole
 * exchange and a byte limit on the answer. Failures are AppErrors with the caller's codes.
 */
export class GuardedFetch {
  readonly #guard: SsrfGuard;
  readonly #clock: Clock;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;

  constructor(opts: GuardedFetchOptions) {
    this.#guard = opts.guard;
    this.#clock = opts.clock;
    this.#ownsDispatcher = opts.dispatcher === undefined;
    this.#dispatcher = opts.dispatcher ?? guardedAgent(opts.guard, opts.connectionsPerOrigin);
  }

  /** Sends the request, following redirects; resolves with the final answer (any status). */
  async request(req: GuardedRequest): Promise<GuardedResponse> {
    const problem = httpUrlProblem(req.url);
    if (problem !== undefined) throw new AppError(req.codes.invalidUrl, `${req.url} ${problem}`);
    if (req.signal?.aborted) throw req.signal.reason;
    const controller = new AbortController();
    const timeout = new AppError(req.codes.timeout, `${req.url}: no complete answer within ${req.timeoutMs} ms`);
    const onAbort = (): void => controller.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = this.#clock.setTimeout(() => controller.abort(timeout), req.timeoutMs);
    try {
      return await this.#follow(req, controller.signal);
    } catch (err) {
      // Whichever stopped the exchange names the error: the caller's abort or the time limit.
      if (controller.signal.aborted) throw controller.signal.reason;
      if (err instanceof AppError) throw err;
      if (hasCauseCode(err, 'SSRF_BLOCKED'))
        throw new AppError('SSRF_BLOCKED', `${req.url} resolves to an internal address`, { cause: err });
      throw new AppError(req.codes.failed, `${req.url}: ${(err as Error).message}`, { cause: err });
    } finally {
      this.#clock.clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Closes the own Agent's connections. */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async #follow(req: GuardedRequest, signal: AbortSignal): Promise<GuardedResponse> {
    let url = req.url;
    let hop = { method: req.method ?? 'GET', headers: req.headers ?? {}, body: req.body };
    for (let redirects = 0; ; redirects++) {
      await this.#check(url, req.codes.failed);
      const { method, headers, body: sent } = hop;
      const res = await undiciRequest(url, {
        dispatcher: this.#dispatcher,
        method,
        headers,
        ...(sent !== undefined ? { body: sent } : {}),
        signal,
      });
      const location = res.headers['location'];
      if (!REDIRECTS.has(res.statusCode) || typeof location !== 'string') {
        const body =
          req.bodyMode === 'discard'
            ? await res.body.dump({ limit: req.maxBytes }).then(() => new Uint8Array())
            : await readLimited(res, url, req.maxBytes, req.codes.tooLarge);
        return { status: res.statusCode, headers: res.headers, body, url };
      }
      await res.body.dump();
      if (redirects >= MAX_REDIRECTS)
        throw new AppError(req.codes.failed, `${req.url}: more than ${MAX_REDIRECTS} redirects`);
      const next = URL.canParse(location, url) ? new URL(location, url).href : location;
      const problem = httpUrlProblem(next);
      if (problem !== undefined) throw new AppError(req.codes.failed, `${url} redirects to ${next}, which ${problem}`);
      url = next;
      hop = nextHop(res.statusCode, hop);
    }
  }

  /** The guard's check of one hop; a DNS failure is the caller's `failed`. */
  async #check(url: string, failed: ErrorCode): Promise<void> {
    try {
      await this.#guard.check(url);
    } catch (err) {
      if (hasCauseCode(err, 'SSRF_BLOCKED')) throw err;
      throw new AppError(failed, `${url}: ${(err as Error).message}`, { cause: err });
    }
  }
}
