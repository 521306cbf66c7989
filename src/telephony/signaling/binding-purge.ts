import type { Clock, Logger, TimerHandle } from '../../shared/index.ts';
import type { Store } from '../../store/index.ts';

/** Options of a {@link BindingPurge}. */
export interface BindingPurgeOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
}

/** Deletes expired registrations from the store every `intervalMs` on the injected clock. */
export class BindingPurge {
  readonly #options: BindingPurgeOptions;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #running: Promise<void> = Promise.resolve();

  constructor(options: BindingPurgeOptions) {
    this.#options = options;
    this.#schedule();
  }

  /** Stop the timer and resolve once a purge in progress has finished. Idempotent. */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#options.clock.clearTimeout(this.#timer);
    return this.#running;
  }

  #schedule(): void {
    const { clock, intervalMs } = this.#options;
    this.#timer = clock.setTimeout(() => {
      this.#running = this.#purge().finally(() => {
        if (!this.#stopped) this.#schedule();
      });
    }, intervalMs);
  }

  async #purge(): Promise<void> {
    const { store, clock, logger } = this.#options;
    try {
      const removed = await store.registrations.purgeExpired(new Date(clock.now()).toISOString());
      if (removed > 0) logger.debug({ removed }, 'expired SIP bindings purged');
    } catch (err) {
      // The next round retries; a store hiccup must not stop the purge for good.
      logger.warn({ err }, 'purging expired SIP bindings failed');
    }
  }
}
