import type { FetchRequest, HttpPort, WebhookRequest } from '../flows/index.ts';
import { AppError, GuardedFetch, SsrfGuard, systemClock } from '../shared/index.ts';
import type { GuardedFetchCodes } from '../shared/index.ts';

/** Time and size bounds of one real request of a simulation (those of the flows' own requests). */
const REAL_TIMEOUT_MS = 5000;
const REAL_MAX_BYTES = 1024 * 1024;

function codes(kind: 'WEBHOOK' | 'FETCH'): GuardedFetchCodes {
  return {
    invalidUrl: 'INVALID_URI',
    failed: 'HTTP_REQUEST_FAILED',
    timeout: `${kind}_TIMEOUT`,
    tooLarge: kind === 'FETCH' ? 'FETCH_RESPONSE_TOO_LARGE' : 'WEBHOOK_RESPONSE_TOO_LARGE',
  };
}

/**
 * The requests a script marks `real: true`, sent through the guarded client (docs/security.md: the
 * SSRF guard in production mode, 5 s, 1 MiB) on the wall clock. They carry no signature (a
 * simulation sends no event) and an `x-callbin-simulation: 1` header, so a server can tell them apart.
 */
export class RealHttp implements HttpPort {
  readonly #http: GuardedFetch;

  constructor(mode: 'local' | 'production') {
    this.#http = new GuardedFetch({ guard: new SsrfGuard({ mode }), clock: systemClock });
  }

  async send(request: WebhookRequest, signal: AbortSignal): Promise<{ status: number }> {
    const body = request.method === 'GET' ? undefined : request.data;
    const res = await this.#http.request({
      url: request.uri,
      method: request.method,
      headers: { 'x-callbin-simulation': '1', ...(body !== undefined ? { 'content-type': request.data_type } : {}) },
      ...(body !== undefined ? { body } : {}),
      timeoutMs: REAL_TIMEOUT_MS,
      maxBytes: 64 * 1024,
      bodyMode: 'discard',
      codes: codes('WEBHOOK'),
      signal,
    });
    return { status: res.status };
  }

  async fetchJson(request: FetchRequest, signal: AbortSignal): Promise<unknown> {
    const withBody = request.method !== 'GET';
    const url = new URL(request.url);
    if (!withBody) url.searchParams.set('activeflow_id', request.activeflow_id);
    const res = await this.#http.request({
      url: url.toString(),
      method: request.method,
      headers: {
        'x-callbin-simulation': '1',
        accept: 'application/json',
        ...(withBody ? { 'content-type': 'application/json' } : {}),
      },
      ...(withBody ? { body: JSON.stringify(request.body) } : {}),
      timeoutMs: REAL_TIMEOUT_MS,
      maxBytes: REAL_MAX_BYTES,
      codes: codes('FETCH'),
      signal,
    });
    if (res.status < 200 || res.status >= 300)
      throw new AppError('FETCH_FAILED', `${request.method} ${request.url} answered ${res.status}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(res.body).toString('utf8'));
    } catch (err) {
      throw new AppError('FETCH_INVALID_JSON', `${request.url} did not answer JSON`, { cause: err });
    }
    if (!Array.isArray(parsed))
      throw new AppError('FETCH_INVALID_RESPONSE', `${request.url} answered JSON that is not an array of actions`);
    return parsed;
  }

  /** Closes the client's connections. */
  close(): Promise<void> {
    return this.#http.close();
  }
}
