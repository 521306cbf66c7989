import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock, silentLogger } from '../../shared/index.ts';
import { digestHa1s } from '../../sip/index.ts';
import { extensionDigestHa1, openStore } from '../../store/index.ts';
import type { Extension, Store } from '../../store/index.ts';
import { startSipServer } from './sip-server.ts';
import { StoreRegistrarBackend } from './store-registrar-backend.ts';

const SIP_DOMAIN = 'sip.test';

describe('telephony: store-backed registrar and SIP server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callbin-telephony-'));
  const clock = new FakeClock();
  let store: Store;
  let backend: StoreRegistrarBackend;
  let ext: Extension;
  let otherCustomer: string;

  before(async () => {
    store = await openStore({ dataDir: dir, clock });
    backend = new StoreRegistrarBackend({ store, clock, sipDomain: SIP_DOMAIN });
    const customer = (name: string) =>
      store.customers.create({
        name,
        detail: '',
        email: '',
        webhook_method: 'POST',
        webhook_uri: '',
        webhook_secret: '',
        webhook_event_types: [],
      });
    const c = await customer('a');
    otherCustomer = (await customer('b')).id;
    const identity = {
      customer_id: c.id,
      extension: '1001',
      username: '1001-aaaa',
      domain_name: `${c.id}.${SIP_DOMAIN}`,
    };
    ext = await store.extensions.create({
      ...identity,
      password: '',
      digest_ha1: extensionDigestHa1(identity, 'pw'),
      name: '',
      detail: '',
    });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a customer domain is its own realm; the bare IP and other hosts share the platform realm', () => {
    assert.equal(backend.realmFor(ext.domain_name), ext.domain_name);
    assert.equal(backend.realmFor(ext.domain_name.toUpperCase()), ext.domain_name);
    assert.equal(backend.realmFor('127.0.0.1'), SIP_DOMAIN);
    assert.equal(backend.realmFor(`not-a-uuid.${SIP_DOMAIN}`), SIP_DOMAIN);
  });

  it('finds the account by digest username anywhere, by extension name only inside its own domain', async () => {
    const byUsername = await backend.findAccount({ username: '1001-aaaa', domain: '127.0.0.1' });
    assert.deepEqual(byUsername, {
      extensionId: ext.id,
      customerId: ext.customer_id,
      username: '1001-aaaa',
      extension: '1001',
      ha1: digestHa1s('1001-aaaa', SIP_DOMAIN, 'pw'),
      realm: SIP_DOMAIN,
    });
    const byName = await backend.findAccount({ username: '1001', domain: ext.domain_name });
    assert.equal(byName?.realm, ext.domain_name);
    assert.deepEqual(
      byName?.ha1,
      digestHa1s('1001', ext.domain_name, 'pw'),
      'the HA1 of the name it was found by, in its realm',
    );
    assert.deepEqual(
      (await backend.findAccount({ username: '1001-aaaa', domain: ext.domain_name }))?.ha1,
      digestHa1s('1001-aaaa', ext.domain_name, 'pw'),
    );
    assert.equal(await backend.findAccount({ username: '1001', domain: '127.0.0.1' }), undefined);
    assert.equal(await backend.findAccount({ username: '1001', domain: `${otherCustomer}.${SIP_DOMAIN}` }), undefined);
    assert.equal(
      await backend.findAccount({ username: '1001-aaaa', domain: `${otherCustomer}.${SIP_DOMAIN}` }),
      undefined,
    );
  });

  it('bindings round-trip through the registrations table; removeAll drops expired rows too', async () => {
    const base = {
      extensionId: ext.id,
      customerId: ext.customer_id,
      transport: 'TCP' as const,
      source: 'tcp:192.0.2.1:5062',
      callId: 'c',
      cseq: 2,
      userAgent: 'phone',
      // RFC 3327 §5.3: the Path of the REGISTER is kept with the binding.
      path: ['<sip:192.0.2.9:5060;lr>', '<sip:192.0.2.10;lr>'],
    };
    await backend.saveBinding({
      ...base,
      contact: 'sip:a@192.0.2.1:5062;transport=tcp',
      expiresAtMs: clock.now() + 60_000,
    });
    await backend.saveBinding({ ...base, contact: 'sip:b@192.0.2.1', expiresAtMs: clock.now() + 1_000 });
    clock.advance(2_000);
    const listed = await backend.listBindings(ext.id);
    assert.deepEqual(listed, [
      { ...base, contact: 'sip:a@192.0.2.1:5062;transport=tcp', expiresAtMs: clock.now() + 58_000 },
    ]);
    await backend.removeAll(ext.id);
    assert.deepEqual(await store.registrations.listForExtension(ext.id, new Date(0).toISOString()), []);
  });

  it('startSipServer: one ephemeral port for UDP and TCP, SIP metrics, expired rows purged on the clock, idempotent close', async () => {
    const sip = await startSipServer({
      config: { sipHost: '127.0.0.1', sipPort: 0, sipDomain: SIP_DOMAIN, publicIp: '' },
      store,
      clock,
      logger: silentLogger,
      purgeIntervalMs: 10_000,
    });
    try {
      assert.notEqual(sip.address.port, 0);
      assert.equal(sip.tcpPort, sip.address.port);
      assert.equal(sip.advertisedHost, '127.0.0.1');
      assert.equal(sip.stats().register_ok, 0);
      const text = sip.metricsText();
      for (const name of [
        'callbin_sip_messages_received_total 0',
        'callbin_sip_malformed_total 0',
        'callbin_sip_register_total{result="ok"} 0',
        'callbin_sip_register_total{result="forbidden"} 0',
      ]) {
        assert.ok(text.includes(name), `${name} in\n${text}`);
      }
      await backend.saveBinding({
        extensionId: ext.id,
        customerId: ext.customer_id,
        contact: 'sip:gone@192.0.2.1',
        transport: 'UDP',
        source: 'udp:192.0.2.1:5060',
        path: [],
        callId: 'x',
        cseq: 1,
        userAgent: '',
        expiresAtMs: clock.now() + 5_000,
      });
      clock.advance(10_000);
      const rows = () => store.registrations.listForExtension(ext.id, new Date(0).toISOString());
      // The purge fired on the fake clock; its delete runs on the real store asynchronously.
      for (let i = 0; i < 100 && (await rows()).length > 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(await rows(), []);
    } finally {
      await sip.close();
      await sip.close();
    }
    assert.equal(clock.pending, 0, 'no timer left behind');
  });
});
