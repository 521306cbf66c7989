import { silentLogger, systemClock } from '../../shared/index.ts';
import type { Clock, Logger, TimerHandle } from '../../shared/index.ts';
import type { UserAgent } from '../../sip/index.ts';
import type { Provider, Store } from '../../store/index.ts';
import { listAllProviders } from './routing-adapter.ts';
import type { ProviderHealthView } from './routing-adapter.ts';

/** Options of {@link ProviderHealth}. */
export interface ProviderHealthOptions {
  /** Sends the OPTIONS pings (the UserAgent). */
  ua: Pick<UserAgent, 'options'>;
  store: Pick<Store, 'providers'>;
  clock?: Clock;
  logger?: Logger;
  /** Time between two rounds of pings (default 30 s, docs/media.md). */
  intervalMs?: number;
  /** Consecutive unanswered pings that mark a provider down (default 3). */
  failureThreshold?: number;
}

interface ProviderState {
  failures: number;
  healthy: boolean;
}

const TRANSPORTS = new Set(['udp', 'tcp', 'tls']);

/** The URI an OPTIONS ping to a provider is sent to. */
export function providerPingUri(provider: Pick<Provider, 'hostname' | 'port' | 'transport'>): string {
  const transport = provider.transport.toLowerCase();
  const host = provider.hostname.includes(':') ? `[${provider.hostname}]` : provider.hostname;
  return `sip:${host}:${provider.port};transport=${TRANSPORTS.has(transport) ? transport : 'udp'}`;
}

/**
 * Provider health by OPTIONS (RFC 3261 §11, docs/media.md "Provider health"): every provider is pinged
 * every `intervalMs`; `failureThreshold` consecutive pings without any response (timeout or
 * transport error) mark it unhealthy, and the first response of any status marks it healthy
 * again — a provider that answers, even 404 or 405, is alive. Unknown providers count as healthy.
 */
export class ProviderHealth implements ProviderHealthView {
  readonly #o: ProviderHealthOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #threshold: number;
  readonly #states = new Map<string, ProviderState>();
  #timer: TimerHandle | undefined;
  #running = false;

  constructor(options: ProviderHealthOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? silentLogger).child({ module: 'provider-health' });
    this.#intervalMs = options.intervalMs ?? 30_000;
    this.#threshold = options.failureThreshold ?? 3;
  }

  isHealthy(providerId: string): boolean {
    return this.#states.get(providerId)?.healthy ?? true;
  }

  /** Pings at once, then every `intervalMs` until stop(). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#tick();
  }

  /** Stops the schedule; idempotent. */
  async stop(): Promise<void> {
    // A round in flight is not waited for: a ping to a provider that is down only ends at Timer F
    // (64*T1, RFC 3261 §17.1.2.2), which held shutdown for 32 s; closing the SIP stack disposes it.
    this.#running = false;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One round: pings every provider now and updates their state; resolves when all answered or failed. */
  async checkNow(): Promise<void> {
    const providers = await listAllProviders(this.#o.store);
    const live = new Set(providers.map((p) => p.id));
    for (const id of this.#states.keys()) if (!live.has(id)) this.#states.delete(id);
    await Promise.all(providers.map((p) => this.#ping(p)));
  }

  #tick(): void {
    void this.checkNow()
      .catch((err: unknown) => this.#logger.warn({ err }, 'provider health round failed'))
      .finally(() => {
        if (this.#running) this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#intervalMs);
      });
  }

  async #ping(provider: Provider): Promise<void> {
    const state = this.#states.get(provider.id) ?? { failures: 0, healthy: true };
    this.#states.set(provider.id, state);
    try {
      await this.#o.ua.options(providerPingUri(provider));
      state.failures = 0;
      if (!state.healthy) this.#logger.info({ provider_id: provider.id }, 'provider answers again: healthy');
      state.healthy = true;
    } catch (err) {
      state.failures += 1;
      if (state.healthy && state.failures >= this.#threshold) {
        state.healthy = false;
        this.#logger.warn(
          { err, provider_id: provider.id, failures: state.failures },
          'provider does not answer OPTIONS: unhealthy',
        );
      }
    }
  }
}
