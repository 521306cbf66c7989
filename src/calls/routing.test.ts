import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { NIL_UUID } from '../shared/index.ts';
import { orderRoutes, requireRoutes, takeNextRoute } from './routing.ts';
import { CUSTOMER, route } from './testing/call-fixtures.ts';
import { provider } from './testing/fake-ports.ts';

const providers = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map(provider);

describe('route selection', () => {
  it('orders customer country-code routes, customer all routes, then platform defaults in the same two groups', () => {
    const routes = [
      route('platform-all', { customer_id: NIL_UUID, provider_id: 'h', target: 'all' }),
      route('platform-cc', { customer_id: NIL_UUID, provider_id: 'g', target: '+44' }),
      route('cust-all', { provider_id: 'f', target: 'all' }),
      route('cust-cc-2', { provider_id: 'e', target: '+44', priority: 2 }),
      route('cust-cc-1', { provider_id: 'd', target: '+44', priority: 1 }),
      route('cust-other-cc', { provider_id: 'c', target: '+1' }),
      route('other-customer', { customer_id: 'c0000000-0000-4000-8000-000000000099', provider_id: 'b', target: '+44' }),
    ];
    assert.deepEqual(
      orderRoutes(CUSTOMER, '+442071234567', routes, providers).map((c) => c.route.id),
      ['cust-cc-1', 'cust-cc-2', 'cust-all', 'platform-cc', 'platform-all'],
    );
  });

  it('takes the longest matching country code', () => {
    const routes = [
      route('short', { provider_id: 'a', target: '+4' }),
      route('long', { provider_id: 'b', target: '+44' }),
      route('all', { provider_id: 'c', target: 'all' }),
    ];
    assert.deepEqual(
      orderRoutes(CUSTOMER, '+442071234567', routes, providers).map((c) => c.route.id),
      ['long', 'all'],
    );
  });

  it('breaks priority ties by tm_create', () => {
    const routes = [
      route('newer', { provider_id: 'a', tm_create: '2026-02-01T00:00:00.000Z' }),
      route('older', { provider_id: 'b', tm_create: '2026-01-01T00:00:00.000Z' }),
      route('first', { provider_id: 'c', priority: 0, tm_create: '2026-03-01T00:00:00.000Z' }),
    ];
    assert.deepEqual(
      orderRoutes(CUSTOMER, '+15550001111', routes, providers).map((c) => c.route.id),
      ['first', 'older', 'newer'],
    );
  });

  it('lists a provider once, at its first place, and skips routes to unknown providers', () => {
    const routes = [
      route('r1', { provider_id: 'a', target: '+1' }),
      route('r2', { provider_id: 'a', target: 'all' }),
      route('gone', { provider_id: 'zz', target: 'all', priority: 0 }),
      route('r3', { customer_id: NIL_UUID, provider_id: 'a' }),
    ];
    assert.deepEqual(
      orderRoutes(CUSTOMER, '+15550001111', routes, providers).map((c) => c.route.id),
      ['r1'],
    );
  });

  it('ROUTE_NOT_FOUND on the destination field when nothing carries the number', () => {
    const candidates = orderRoutes(
      CUSTOMER,
      '+821012345678',
      [route('r', { provider_id: 'a', target: '+1' })],
      providers,
    );
    assert.throws(
      () => requireRoutes(candidates, '+821012345678', 'destinations[2]'),
      (err: { code: string; details: { field: string; reason: string }[] }) =>
        err.code === 'ROUTE_NOT_FOUND' &&
        err.details[0]?.field === 'destinations[2]' &&
        err.details[0].reason === 'ROUTE_NOT_FOUND',
    );
  });

  it('skips unhealthy providers and records each skip as an attempt', () => {
    const candidates = orderRoutes(
      CUSTOMER,
      '+15550001111',
      [
        route('r1', { provider_id: 'a' }),
        route('r2', { provider_id: 'b', priority: 2 }),
        route('r3', { provider_id: 'c', priority: 3 }),
      ],
      providers,
    );
    const next = takeNextRoute(candidates, 0, (id) => id === 'c', 0);
    assert.equal(next.candidate?.route.id, 'r3');
    assert.equal(next.nextIndex, 3);
    assert.deepEqual(
      next.skipped.map((s) => [s.route_id, s.provider_id, s.reason, s.sip_status]),
      [
        ['r1', 'a', 'unhealthy', 0],
        ['r2', 'b', 'unhealthy', 0],
      ],
    );
    assert.equal(takeNextRoute(candidates, 3, () => true, 0).candidate, undefined);
  });
});
