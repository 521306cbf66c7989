import { AppError } from '../../shared/index.ts';
import type { GuardedFetch, GuardedFetchCodes } from '../../shared/index.ts';

/** Options of {@link fetchMedia}. */
export interface FetchMediaOptions {
  /** The guarded HTTP client (SSRF guard, redirects by hand); the composition root builds it. */
  http: GuardedFetch;
  /** Largest body accepted (default 20 MiB). */
  maxBytes?: number;
  /** Time limit for the whole download, redirects, headers and body (default 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Default byte limit of a media download. */
export const DEFAULT_MEDIA_MAX_BYTES = 20 * 1024 * 1024;
/** Default time limit of a media download. */
export const DEFAULT_MEDIA_TIMEOUT_MS = 10_000;

/** The error codes of a media download (docs/security.md); `SSRF_BLOCKED` keeps its own. */
export const MEDIA_FETCH_CODES: GuardedFetchCodes = {
  invalidUrl: 'INVALID_MEDIA_URL',
  failed: 'MEDIA_FETCH_FAILED',
  timeout: 'MEDIA_TIMEOUT',
  tooLarge: 'MEDIA_TOO_LARGE',
};

/**
 * Downloads an http(s) media URL with a byte limit and a time limit; nothing else is ever read.
 * Errors: `INVALID_MEDIA_URL`, `MEDIA_FETCH_FAILED` (network, redirects, non-2xx), `MEDIA_TOO_LARGE`,
 * `MEDIA_TIMEOUT`, `MEDIA_ABORTED`, `SSRF_BLOCKED`.
 */
export async function fetchMedia(url: string, opts: FetchMediaOptions): Promise<Uint8Array> {
  try {
    const res = await opts.http.request({
      url,
      method: 'GET',
      timeoutMs: opts.timeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS,
      maxBytes: opts.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES,
      codes: MEDIA_FETCH_CODES,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (res.status < 200 || res.status >= 300) throw new AppError('MEDIA_FETCH_FAILED', `${url}: HTTP ${res.status}`);
    return res.body;
  } catch (err) {
    if (opts.signal?.aborted) throw new AppError('MEDIA_ABORTED', `${url}: download aborted`, { cause: err });
    throw err;
  }
}
