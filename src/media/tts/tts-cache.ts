import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../shared/index.ts';
import { PcmLruCache, s16leToSamples } from '../player/index.ts';
import type { TtsEngine, TtsRequest, TtsVoice } from './tts-engine.ts';

/** Options of {@link CachedTtsEngine}. */
export interface TtsCacheOptions {
  /** Memory budget for cached speech (default 32 MiB). */
  maxBytes?: number;
  /** Directory for an on-disk cache of raw s16le files named by hash; none when absent. */
  directory?: string;
}

interface Pending {
  promise: Promise<Int16Array>;
  controller: AbortController;
  waiters: number;
}

/** The cache key of a request: (text, language, gender, voice). */
function cacheKey(req: TtsRequest): string {
  const parts = [req.text, req.language.trim().toLowerCase().replaceAll('_', '-'), req.gender, req.voiceId ?? ''];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * Wraps any engine with an in-memory LRU (byte budget) and an optional disk cache; concurrent
 * identical requests share one synthesis, which is aborted only when every waiter has aborted.
 */
export class CachedTtsEngine implements TtsEngine {
  readonly #inner: TtsEngine;
  readonly #memory: PcmLruCache;
  readonly #directory: string | undefined;
  readonly #pending = new Map<string, Pending>();

  constructor(inner: TtsEngine, opts: TtsCacheOptions = {}) {
    this.#inner = inner;
    this.#memory = new PcmLruCache({ maxBytes: opts.maxBytes ?? 32 * 1024 * 1024 });
    this.#directory = opts.directory;
  }

  /** The wrapped engine's voices. */
  voices(): TtsVoice[] {
    return this.#inner.voices();
  }

  /** Memory cache counters. */
  get stats(): PcmLruCache['stats'] {
    return this.#memory.stats;
  }

  /** Cached speech for `req`, synthesising it once on a miss. */
  async synthesize(req: TtsRequest): Promise<Int16Array> {
    const key = cacheKey(req);
    const hit = this.#memory.get(key);
    if (hit) return hit;
    let pending = this.#pending.get(key);
    if (!pending) {
      const controller = new AbortController();
      const { signal: _ignored, ...shared } = req;
      pending = { promise: this.#produce(key, { ...shared, signal: controller.signal }), controller, waiters: 0 };
      const entry = pending;
      entry.promise.finally(() => this.#pending.delete(key)).catch(() => undefined);
      this.#pending.set(key, entry);
    }
    return this.#wait(pending, req.signal);
  }

  /** Waits for a shared synthesis; the last waiter to abort aborts the synthesis itself. */
  #wait(pending: Pending, signal: AbortSignal | undefined): Promise<Int16Array> {
    pending.waiters++;
    if (!signal) return pending.promise;
    return new Promise<Int16Array>((resolve, reject) => {
      const onAbort = (): void => {
        if (--pending.waiters === 0) pending.controller.abort(signal.reason);
        reject(new AppError('TTS_ABORTED', 'speech synthesis aborted', { cause: signal.reason }));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      pending.promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Disk hit or a fresh synthesis, stored in both caches. */
  async #produce(key: string, req: TtsRequest): Promise<Int16Array> {
    const fromDisk = await this.#readDisk(key);
    const samples = fromDisk ?? (await this.#inner.synthesize(req));
    this.#memory.set(key, samples);
    if (!fromDisk) await this.#writeDisk(key, samples);
    return samples;
  }

  /** The disk copy of `key`, if any. */
  async #readDisk(key: string): Promise<Int16Array | undefined> {
    if (!this.#directory) return undefined;
    try {
      return s16leToSamples(await readFile(join(this.#directory, `${key}.pcm`)));
    } catch {
      // A missing or unreadable file is just a cache miss.
      return undefined;
    }
  }

  /** Writes atomically (temp file + rename) so a concurrent reader never sees half a file. */
  async #writeDisk(key: string, samples: Int16Array): Promise<void> {
    if (!this.#directory) return;
    const bytes = Buffer.alloc(samples.length * 2);
    for (let i = 0; i < samples.length; i++) bytes.writeInt16LE(samples[i] as number, i * 2);
    const final = join(this.#directory, `${key}.pcm`);
    const temp = `${final}.${process.pid}.${Date.now()}.tmp`;
    try {
      await mkdir(this.#directory, { recursive: true });
      await writeFile(temp, bytes);
      await rename(temp, final);
    } catch {
      // The disk cache is best-effort: a full or read-only disk must not fail the call.
    }
  }
}
