import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { FakeClock, silentLogger } from '../../shared/index.ts';
import { digestAuthorization, digestHa1s } from '../../sip/index.ts';
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

  it('a browser library over WebSocket (JsSIP 3.13: last challenge only, MD5 only) registers; the binding is WS', async () => {
    // Its own clock: the WebSocket's watchdog timer is cleared when the socket's close lands, after close().
    const wsClock = new FakeClock(clock.now());
    const sip = await startSipServer({
      config: { sipHost: '127.0.0.1', sipPort: 0, sipWsPort: 0, sipDomain: SIP_DOMAIN, publicIp: '' },
      store,
      clock: wsClock,
      logger: silentLogger,
    });
    const ws = new WebSocket(`ws://127.0.0.1:${sip.wsPort}/`, 'sip');
    try {
      await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
      const next = () => new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
      // The REGISTER JsSIP 3.13.8 sends (docs/webrtc.md "Registering a browser"), Authorization aside.
      const register = (cseq: number, authorization?: string): string =>
        [
          `REGISTER sip:${ext.domain_name} SIP/2.0`,
          `Via: SIP/2.0/WS te8217ivp04h.invalid;branch=z9hG4bK574727${cseq}`,
          'Max-Forwards: 69',
          `To: <sip:1001@${ext.domain_name}>`,
          `From: <sip:1001@${ext.domain_name}>;tag=rum88608a7`,
          'Call-ID: g4fl639002342i4pdrnvo2',
          `CSeq: ${cseq} REGISTER`,
          'Expires: 300',
          'Contact: <sip:5fund799@te8217ivp04h.invalid;transport=ws>;+sip.ice;reg-id=1;+sip.instance="<urn:uuid:feb275c7-d375-4e1b-86e5-c7b8d7d5fe1c>";expires=300',
          'Supported: path,gruu,outbound',
          'User-Agent: JsSIP 3.13.8',
          ...(authorization ? [`Authorization: ${authorization}`] : []),
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
      let answer = next();
      ws.send(register(2));
      const challenge = await answer;
      assert.match(challenge, /^SIP\/2\.0 401 /);
      const offers = [...challenge.matchAll(/^WWW-Authenticate: (.*)$/gim)].map((m) => m[1]!.trim());
      assert.match(offers.at(-1)!, /algorithm=MD5,/, 'MD5 comes last');
      const authorization = digestAuthorization({
        challenge: offers.at(-1)!,
        method: 'REGISTER',
        uri: `sip:${ext.domain_name}`,
        username: '1001',
        password: 'pw',
      });
      answer = next();
      ws.send(register(3, authorization));
      const ok = await answer;
      assert.match(ok, /^SIP\/2\.0 200 /);
      assert.match(ok, /^Contact: <sip:5fund799@te8217ivp04h\.invalid;transport=ws>;expires=300\r$/m);
      const [binding] = await backend.listBindings(ext.id);
      assert.equal(binding?.transport, 'WS');
      assert.match(binding?.source ?? '', /^ws:127\.0\.0\.1:\d+$/);
      assert.equal(binding?.contact, 'sip:5fund799@te8217ivp04h.invalid;transport=ws');
      await backend.removeAll(ext.id);
    } finally {
      ws.terminate();
      await sip.close();
    }
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
