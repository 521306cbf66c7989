import { holdMusic } from '../../media/index.ts';
import { silentLogger, type Clock, type Logger } from '../../shared/index.ts';

/** Largest MOH file downloaded (bytes) and its download time limit (docs/security.md "Outgoing HTTP made for a customer"). */
export const MOH_MAX_BYTES = 10 * 1024 * 1024;
export const MOH_TIMEOUT_MS = 10_000;
/** Longest music kept of a MOH file: ten minutes at 8 kHz; it loops. */
const MAX_MOH_SAMPLES = 8000 * 600;
/** Shortest music worth looping (one 20 ms frame); less falls back to the built-in music. */
const MIN_MOH_SAMPLES = 160;
/** How long a loaded file is used before it is fetched again, and how long a failed URL is not retried. */
const LOADED_TTL_MS = 10 * 60_000;
const FAILED_TTL_MS = 60_000;
/** URLs remembered at most (loaded or failed); the oldest is forgotten first. */
const MAX_ENTRIES = 64;

/** What {@link HoldMusic} is built from. */
export interface HoldMusicOptions {
  /**
   * Loads an http(s) URL as 8 kHz PCM through the guarded media client (the `play` action's, with
   * {@link MOH_MAX_BYTES} and {@link MOH_TIMEOUT_MS}); rejects for anything it refuses.
   */
  load(url: string): Promise<Int16Array>;
  /** The `moh_url` of the customer of a call ('' or undefined: none). */
  customerMohUrl?(callId: string): Promise<string | undefined>;
  /** The music when no file is set or a file fails (default the built-in `holdMusic()`). */
  builtIn?: Int16Array;
  clock: Clock;
  logger?: Logger;
}

interface Entry {
  /** The music, or undefined for a URL that failed. */
  pcm: Int16Array | undefined;
  atMs: number;
}

/**
 * The music a held call hears (docs/calls.md "Music on hold"): the call's own `moh_url` when the
 * hold or moh request gave one, else its customer's `moh_url`, else the built-in music. Files are
 * fetched through the guarded client with its size and time bounds and kept for ten minutes; a URL
 * that cannot be fetched or decoded is logged and the built-in music plays instead (and the URL
 * is not tried again for a minute). {@link forCall} never rejects.
 */
export class HoldMusic {
  readonly #o: HoldMusicOptions;
  readonly #logger: Logger;
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<Int16Array | undefined>>();

  constructor(options: HoldMusicOptions) {
    this.#o = options;
    this.#logger = options.logger ?? silentLogger;
  }

  /** The built-in music. */
  get builtIn(): Int16Array {
    return this.#o.builtIn ?? holdMusic();
  }

  /** The music for call `callId` (undefined: a leg of no call), `override` being the call's own `moh_url`. */
  async forCall(callId: string | undefined, override?: string): Promise<Int16Array> {
    let url = override;
    try {
      if (!url && callId !== undefined) url = await this.#o.customerMohUrl?.(callId);
    } catch (err) {
      this.#logger.warn({ err, call_id: callId }, "the customer's moh_url could not be read; the built-in music plays");
    }
    if (!url) return this.builtIn;
    return (await this.#music(url, callId)) ?? this.builtIn;
  }

  #music(url: string, callId: string | undefined): Promise<Int16Array | undefined> {
    const now = this.#o.clock.now();
    const entry = this.#entries.get(url);
    if (entry && now - entry.atMs < (entry.pcm ? LOADED_TTL_MS : FAILED_TTL_MS)) return Promise.resolve(entry.pcm);
    let pending = this.#inflight.get(url);
    if (!pending) {
      pending = this.#fetch(url, callId);
      this.#inflight.set(url, pending);
      void pending.finally(() => this.#inflight.delete(url));
    }
    return pending;
  }

  async #fetch(url: string, callId: string | undefined): Promise<Int16Array | undefined> {
    let pcm: Int16Array | undefined;
    try {
      const loaded = await this.#o.load(url);
      if (loaded.length < MIN_MOH_SAMPLES)
        throw new Error(`the file holds ${loaded.length} samples, too short to loop`);
      pcm = loaded.length > MAX_MOH_SAMPLES ? loaded.slice(0, MAX_MOH_SAMPLES) : loaded;
    } catch (err) {
      this.#logger.warn(
        { err, moh_url: url, call_id: callId },
        'the moh_url could not be loaded; the built-in music plays',
      );
    }
    this.#entries.delete(url);
    this.#entries.set(url, { pcm, atMs: this.#o.clock.now() });
    while (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
    return pcm;
  }
}
