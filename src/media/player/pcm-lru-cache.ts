/** Options of {@link PcmLruCache}. */
export interface PcmLruCacheOptions {
  /** Total bytes of samples kept in memory (default 64 MiB). */
  maxBytes?: number;
}

/** A least-recently-used map of PCM buffers bounded by their total byte size. */
export class PcmLruCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Int16Array>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(opts: PcmLruCacheOptions = {}) {
    this.#maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  }

  /** The buffer stored under `key`, marking it most recently used. */
  get(key: string): Int16Array | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Stores `value`, evicting the least recently used entries beyond the byte budget. */
  set(key: string, value: Int16Array): void {
    const old = this.#entries.get(key);
    if (old) {
      this.#bytes -= old.byteLength;
      this.#entries.delete(key);
    }
    if (value.byteLength > this.#maxBytes) return;
    this.#entries.set(key, value);
    this.#bytes += value.byteLength;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= v.byteLength;
    }
  }

  /** Counters for metrics and tests. */
  get stats(): { entries: number; bytes: number; hits: number; misses: number } {
    return { entries: this.#entries.size, bytes: this.#bytes, hits: this.#hits, misses: this.#misses };
  }
}
