import type { Provider, ReservedRoutes, Route, RoutingPort } from '../../calls/index.ts';
import { isTestNumber, testNumber } from './test-numbers.ts';

/** The carrier as routing sees it: its route and provider. */
export interface CarrierRoute {
  readonly route: Route;
  readonly provider: Provider;
}

/**
 * Routing with the test numbers (docs/calls.md "Test numbers"): a `+1500555xxxx` number goes to the
 * built-in carrier ahead of every route of the customer and never to a trunk, except that the
 * failing number (`+15005550005`) continues with the customer's routes after the carrier's 503.
 * Without a carrier (turned off, docs/security.md "Test numbers") a test number has no route at all.
 * Every other number is routed by `inner` unchanged.
 */
export class TestNumberRouting implements RoutingPort {
  readonly #inner: RoutingPort;
  readonly #carrier: CarrierRoute | undefined;

  constructor(inner: RoutingPort, carrier: CarrierRoute | undefined) {
    this.#inner = inner;
    this.#carrier = carrier;
  }

  listRoutes(customerId: string): Promise<readonly Route[]> {
    return this.#inner.listRoutes(customerId);
  }

  listProviders(providerIds: readonly string[]): Promise<readonly Provider[]> {
    return this.#inner.listProviders(providerIds);
  }

  isHealthy(providerId: string): boolean {
    return providerId === this.#carrier?.provider.id || this.#inner.isHealthy(providerId);
  }

  reservedRoutes(number: string): ReservedRoutes | undefined {
    if (!isTestNumber(number)) return this.#inner.reservedRoutes?.(number);
    const carrier = this.#carrier;
    if (!carrier) return { candidates: [], thenCustomerRoutes: false };
    return {
      candidates: [{ route: carrier.route, provider: carrier.provider }],
      thenCustomerRoutes: testNumber(number)?.thenCustomerRoutes ?? false,
    };
  }
}
