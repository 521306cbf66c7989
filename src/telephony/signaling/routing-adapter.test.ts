import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock, NIL_UUID, newId } from '../../shared/index.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { ProviderAddressBook, RoutingAdapter, plainAddress } from './routing-adapter.ts';

describe('RoutingAdapter and ProviderAddressBook over a SQLite store', () => {
  let dir: string;
  let store: Store;
  const customerId = newId();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-routing-'));
    store = await openStore({ dataDir: dir });
  });

  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function provider(hostname: string): Promise<string> {
    const row = await store.providers.create({
      customer_id: NIL_UUID,
      type: 'sip',
      hostname,
      port: 5060,
      transport: 'udp',
      tech_prefix: '9',
      tech_postfix: '',
      tech_headers: { 'X-A': '1' },
      auth_username: 'u',
      auth_password: 'p',
      name: hostname,
      detail: '',
      codecs: ['PCMU'],
    });
    return row.id;
  }

  it('lists the customer and platform routes, the known providers, and asks the health view', async () => {
    const p1 = await provider('carrier.example');
    const mine = await store.routes.create({
      customer_id: customerId,
      provider_id: p1,
      priority: 2,
      target: '+44',
      name: '',
      detail: '',
    });
    const platform = await store.routes.create({
      customer_id: NIL_UUID,
      provider_id: p1,
      priority: 1,
      target: 'all',
      name: '',
      detail: '',
    });
    await store.routes.create({
      customer_id: newId(),
      provider_id: p1,
      priority: 0,
      target: 'all',
      name: '',
      detail: '',
    });
    const routing = new RoutingAdapter({ store, health: { isHealthy: (id) => id !== p1 } });
    const ids = (await routing.listRoutes(customerId)).map((r) => r.id).sort();
    assert.deepEqual(ids, [mine.id, platform.id].sort());
    const providers = await routing.listProviders([p1, p1, newId()]);
    assert.deepEqual(
      providers.map((p) => [p.id, p.tech_prefix, p.tech_headers, p.auth_username]),
      [[p1, '9', { 'X-A': '1' }, 'u']],
    );
    assert.equal(routing.isHealthy(p1), false);
    assert.equal(new RoutingAdapter({ store }).isHealthy(p1), true);
  });

  it('knows providers by resolved address, caches for the TTL, and tolerates unresolvable hostnames', async () => {
    await provider('10.1.1.1');
    await provider('broken.example');
    const lookups: string[] = [];
    const clock = new FakeClock();
    const book = new ProviderAddressBook({
      store,
      clock,
      ttlMs: 60_000,
      resolve: async (host) => {
        lookups.push(host);
        if (host === 'carrier.example') return ['203.0.113.5'];
        if (host === 'broken.example') throw new Error('ENOTFOUND');
        return [host];
      },
    });
    assert.equal(await book.isProvider('203.0.113.5'), true);
    assert.equal(await book.isProvider('::ffff:10.1.1.1'), true);
    assert.equal(await book.isProvider('198.51.100.1'), false);
    assert.equal(lookups.length, 3, 'one resolution round while the cache is fresh');
    clock.advance(60_000);
    await book.isProvider('10.1.1.1');
    assert.equal(lookups.length, 6);
    assert.equal(plainAddress('::FFFF:10.0.0.1'), '10.0.0.1');
  });
});
