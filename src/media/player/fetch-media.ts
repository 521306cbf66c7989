import { AppError, systemClock } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';

/** Options of {@link fetchMedia}. */
export interface FetchMediaOptions {
  /** Largest body accepted (default 20 MiB). */
  maxBytes?: number;
  /** Time limit for the whole download, headers and body (default 10 s). */
  timeoutMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
  /** The fetch implementation (default Node's global `fetch`). */
  fetch?: typeof fetch;
}

/** Default byte limit of a media download. */
export const DEFAULT_MEDIA_MAX_BYTES = 20 * 1024 * 1024;
/** Default time limit of a media download. */
export const DEFAULT_MEDIA_TIMEOUT_MS = 10_000;

/** Reads a response body, stopping as soon as it exceeds `maxBytes`. */
async function readLimited(res: Response, url: string, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new AppError('MEDIA_TOO_LARGE', `${url}: content-length ${declared} exceeds ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the stream, which closes the connection.
  for await (const chunk of res.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) break;
    chunks.push(chunk);
  }
  if (size > maxBytes) throw new AppError('MEDIA_TOO_LARGE', `${url}: body exceeds ${maxBytes} bytes`);
  return Buffer.concat(chunks, size);
}

/** Checks that `url` is an http(s) URL. */
function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new AppError('MEDIA_FETCH_FAILED', `not a valid URL: ${url}`, { cause: err });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new AppError('MEDIA_FETCH_FAILED', `unsupported URL scheme ${parsed.protocol}`);
}

/**
 * Downloads an http(s) media URL with a byte limit and a time limit.
 * Errors: `MEDIA_FETCH_FAILED` (network, non-2xx), `MEDIA_TOO_LARGE`, `MEDIA_TIMEOUT`, `MEDIA_ABORTED`.
 */
export async function fetchMedia(url: string, opts: FetchMediaOptions = {}): Promise<Uint8Array> {
  checkUrl(url);
  const clock = opts.clock ?? systemClock;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS;
  const controller = new AbortController();
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = (): void => controller.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (opts.signal?.aborted) controller.abort();
    const res = await (opts.fetch ?? fetch)(url, { signal: controller.signal, redirect: 'follow' });
    if (!res.ok) {
      await res.body?.cancel();
      throw new AppError('MEDIA_FETCH_FAILED', `${url}: HTTP ${res.status}`);
    }
    return await readLimited(res, url, opts.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES);
  } catch (err) {
    if (timedOut) throw new AppError('MEDIA_TIMEOUT', `${url}: no complete response within ${timeoutMs} ms`, { cause: err });
    if (opts.signal?.aborted) throw new AppError('MEDIA_ABORTED', `${url}: download aborted`, { cause: err });
    if (err instanceof AppError) throw err;
    throw new AppError('MEDIA_FETCH_FAILED', `${url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    clock.clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
