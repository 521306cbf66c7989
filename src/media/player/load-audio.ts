import { createHash } from 'node:crypto';
import { AppError, GuardedFetch, SsrfGuard, systemClock } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';
import { decodeWithFfmpeg } from './ffmpeg-decoder.ts';
import { DEFAULT_MEDIA_MAX_BYTES, DEFAULT_MEDIA_TIMEOUT_MS, fetchMedia } from './fetch-media.ts';
import { PcmLruCache } from './pcm-lru-cache.ts';
import type { SpawnFn } from './run-process.ts';
import { decodeWavTo8k, isPlainPcmWav } from './wav-reader.ts';

/** Per-call limits of {@link AudioLoader.load}. */
export interface LoadAudioOptions {
  /** Largest source accepted in bytes (default 20 MiB). */
  maxBytes?: number;
  /** Time limit of an http(s) download (default 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Construction options of {@link AudioLoader}. */
export interface AudioLoaderOptions {
  /** Decoded audio by content hash (default: a private 64 MiB cache). */
  cache?: PcmLruCache;
  clock?: Clock;
  /** Process spawner for ffmpeg (injectable to count decodes). */
  spawn?: SpawnFn;
  /**
   * The guarded HTTP client of media downloads; the composition root passes one built on the
   * configured SSRF guard. Default: a production-mode guard (no internal targets).
   */
  http?: GuardedFetch;
  ffmpegPath?: string;
  /** Time limit of one ffmpeg decode (default 30 s). */
  decodeTimeoutMs?: number;
}

/** Settles with `work`, or rejects with `MEDIA_ABORTED` as soon as `signal` aborts. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AppError('MEDIA_ABORTED', 'media load aborted', { cause: signal.reason }));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Loads playable audio (8 kHz mono PCM) from http(s) URLs, never from local files: a media URL
 * comes from a customer (docs/security.md). Plain PCM WAV is
 * decoded in-process; everything else goes through ffmpeg. Decoded audio is cached by the
 * sha256 of the source bytes, and identical concurrent decodes share one run.
 */
export class AudioLoader {
  readonly #cache: PcmLruCache;
  readonly #clock: Clock;
  readonly #opts: AudioLoaderOptions;
  readonly #inflight = new Map<string, Promise<Int16Array>>();
  #http: GuardedFetch | undefined;
  #decodes = 0;

  constructor(opts: AudioLoaderOptions = {}) {
    this.#cache = opts.cache ?? new PcmLruCache();
    this.#clock = opts.clock ?? systemClock;
    this.#opts = opts;
  }

  /** Number of decodes actually run (cache misses). */
  get decodes(): number {
    return this.#decodes;
  }

  /** Loads the http(s) URL `source` as 8 kHz mono samples; anything else is `INVALID_MEDIA_URL`. */
  async load(source: string, opts: LoadAudioOptions = {}): Promise<Int16Array> {
    const bytes = await this.#download(source, opts);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const cached = this.#cache.get(hash);
    if (cached) return cached;
    let pending = this.#inflight.get(hash);
    if (!pending) {
      // The shared decode ignores any one caller's abort (others may wait on it); the ffmpeg time limit bounds it.
      pending = this.#decode(bytes).then((samples) => {
        this.#cache.set(hash, samples);
        return samples;
      });
      pending.finally(() => this.#inflight.delete(hash)).catch(() => undefined);
      this.#inflight.set(hash, pending);
    }
    return raceAbort(pending, opts.signal);
  }

  /** Downloads with the caller's limits. */
  #download(url: string, opts: LoadAudioOptions): Promise<Uint8Array> {
    this.#http ??=
      this.#opts.http ?? new GuardedFetch({ guard: new SsrfGuard({ mode: 'production' }), clock: this.#clock });
    return fetchMedia(url, {
      http: this.#http,
      maxBytes: opts.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES,
      timeoutMs: opts.timeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** Decodes PCM WAV in-process and anything else with ffmpeg. */
  async #decode(bytes: Uint8Array): Promise<Int16Array> {
    this.#decodes++;
    if (isPlainPcmWav(bytes)) return decodeWavTo8k(bytes);
    return decodeWithFfmpeg(bytes, {
      clock: this.#clock,
      ...(this.#opts.ffmpegPath ? { ffmpegPath: this.#opts.ffmpegPath } : {}),
      ...(this.#opts.decodeTimeoutMs ? { timeoutMs: this.#opts.decodeTimeoutMs } : {}),
      ...(this.#opts.spawn ? { spawn: this.#opts.spawn } : {}),
    });
  }
}

let defaultLoader: AudioLoader | undefined;

/** Loads `source` as 8 kHz mono PCM through a process-wide {@link AudioLoader} and its cache. */
export function loadAudio(source: string, opts: LoadAudioOptions = {}): Promise<Int16Array> {
  defaultLoader ??= new AudioLoader();
  return defaultLoader.load(source, opts);
}
