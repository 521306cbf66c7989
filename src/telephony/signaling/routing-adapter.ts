import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Provider, Route, RoutingPort } from '../../calls/index.ts';
import { silentLogger, systemClock } from '../../shared/index.ts';
import type { Clock, Logger } from '../../shared/index.ts';
import type { Provider as StoredProvider, Store } from '../../store/index.ts';

/** How provider health is known to the routing adapter (ProviderHealth implements it). */
export interface ProviderHealthView {
  isHealthy(providerId: string): boolean;
}

const PAGE_SIZE = 1000;

/** Every live provider in the store (all pages). */
export async function listAllProviders(store: Pick<Store, 'providers'>): Promise<StoredProvider[]> {
  const all: StoredProvider[] = [];
  let pageToken = '';
  do {
    const page = await store.providers.list({ pageSize: PAGE_SIZE, ...(pageToken !== '' ? { pageToken } : {}) });
    all.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return all;
}

/** The route fields the calls domain reads, from a stored route. */
function toRoute(r: Route): Route {
  return {
    id: r.id,
    customer_id: r.customer_id,
    provider_id: r.provider_id,
    priority: r.priority,
    target: r.target,
    tm_create: r.tm_create,
  };
}

/** The provider fields an INVITE needs, from a stored provider. */
function toProvider(p: StoredProvider): Provider {
  return {
    id: p.id,
    hostname: p.hostname,
    port: p.port,
    transport: p.transport,
    tech_prefix: p.tech_prefix,
    tech_postfix: p.tech_postfix,
    tech_headers: { ...p.tech_headers },
    auth_username: p.auth_username,
    auth_password: p.auth_password,
  };
}

/** RoutingPort over the store's routes and providers, with health from the OPTIONS checker (healthy when none is given). */
export class RoutingAdapter implements RoutingPort {
  readonly #store: Pick<Store, 'routes' | 'providers'>;
  readonly #health: ProviderHealthView | undefined;

  constructor(options: { store: Pick<Store, 'routes' | 'providers'>; health?: ProviderHealthView }) {
    this.#store = options.store;
    this.#health = options.health;
  }

  async listRoutes(customerId: string): Promise<readonly Route[]> {
    return (await this.#store.routes.listForCustomer(customerId)).map(toRoute);
  }

  async listProviders(providerIds: readonly string[]): Promise<readonly Provider[]> {
    const rows = await Promise.all([...new Set(providerIds)].map((id) => this.#store.providers.get(id)));
    return rows.flatMap((p) => (p ? [toProvider(p)] : []));
  }

  isHealthy(providerId: string): boolean {
    return this.#health?.isHealthy(providerId) ?? true;
  }
}

/** Resolves a hostname to its IP addresses. */
export type HostResolver = (hostname: string) => Promise<string[]>;

/** The system resolver (IP literals are returned as they are). */
export const dnsResolver: HostResolver = async (hostname) => {
  if (isIP(hostname) !== 0) return [hostname];
  return (await lookup(hostname, { all: true })).map((a) => a.address);
};

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as plain IPv4. */
export function plainAddress(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4
    ? address.slice(7)
    : address.toLowerCase();
}

/**
 * The IP addresses of every provider, for verifying incoming INVITEs (docs/media.md "Security"):
 * hostnames are resolved and the set is cached for `ttlMs`; a hostname that does not resolve is
 * left out (logged) rather than failing every incoming call.
 */
export class ProviderAddressBook {
  readonly #store: Pick<Store, 'providers'>;
  readonly #resolve: HostResolver;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #logger: Logger;
  #cached: { atMs: number; addresses: Promise<Set<string>> } | undefined;

  constructor(options: {
    store: Pick<Store, 'providers'>;
    resolve?: HostResolver;
    clock?: Clock;
    ttlMs?: number;
    logger?: Logger;
  }) {
    this.#store = options.store;
    this.#resolve = options.resolve ?? dnsResolver;
    this.#clock = options.clock ?? systemClock;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#logger = options.logger ?? silentLogger;
  }

  /** True when `address` is one of a provider's addresses. */
  async isProvider(address: string): Promise<boolean> {
    return (await this.#addresses()).has(plainAddress(address));
  }

  /** Forgets the cache (a provider was created, changed or deleted). */
  invalidate(): void {
    this.#cached = undefined;
  }

  #addresses(): Promise<Set<string>> {
    const nowMs = this.#clock.now();
    if (!this.#cached || nowMs - this.#cached.atMs >= this.#ttlMs) {
      const addresses = this.#load();
      // A failed load is not cached: the next INVITE tries again.
      addresses.catch(() => (this.#cached = undefined));
      this.#cached = { atMs: nowMs, addresses };
    }
    return this.#cached.addresses;
  }

  async #load(): Promise<Set<string>> {
    const hostnames = new Set((await listAllProviders(this.#store)).map((p) => p.hostname));
    const resolved = await Promise.all(
      [...hostnames].map(async (host) => {
        try {
          return await this.#resolve(host);
        } catch (err) {
          this.#logger.warn({ err, host }, 'provider hostname does not resolve; its INVITEs will be refused');
          return [];
        }
      }),
    );
    return new Set(resolved.flat().map(plainAddress));
  }
}
