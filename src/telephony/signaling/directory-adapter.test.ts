import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock, newId } from '../../shared/index.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { inviteTargets, withContactRoutes } from './call-signaling.ts';
import { DirectoryAdapter, connectionOfSource } from './directory-adapter.ts';

describe('DirectoryAdapter', () => {
  let dir: string;
  let store: Store;
  const clock = new FakeClock(Date.UTC(2026, 0, 1));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-directory-'));
    store = await openStore({ dataDir: dir, clock });
  });

  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns the live contacts of an extension, [] when unregistered, undefined when it does not exist', async () => {
    const customerId = newId();
    const ext = await store.extensions.create({
      customer_id: customerId,
      extension: '1001',
      password: 'pw',
      username: `u-${newId()}`,
      domain_name: 'd',
      name: '',
      detail: '',
    });
    const directory = new DirectoryAdapter({ store, clock });
    assert.deepEqual(await directory.extensionContacts(customerId, '1001'), []);
    const binding = {
      customer_id: customerId,
      extension_id: ext.id,
      transport: 'UDP',
      source: '127.0.0.1:5062',
      call_id: 'c',
      cseq: 1,
      user_agent: 'phone',
    };
    await store.registrations.upsert({
      ...binding,
      contact: '<sip:a@127.0.0.1:5062>',
      tm_expire: new Date(clock.now() + 60_000).toISOString(),
    });
    await store.registrations.upsert({
      ...binding,
      contact: '<sip:b@127.0.0.1:5064>',
      tm_expire: new Date(clock.now() - 1).toISOString(),
    });
    assert.deepEqual(await directory.extensionContacts(customerId, '1001'), ['<sip:a@127.0.0.1:5062>']);
    assert.equal(await directory.extensionContacts(customerId, '1002'), undefined);
    assert.equal(await directory.extensionContacts(newId(), '1001'), undefined);
  });

  it("finds an extension by its id too, only among the customer's own live extensions", async () => {
    const customerId = newId();
    const ext = await store.extensions.create({
      customer_id: customerId,
      extension: '3001',
      password: 'pw',
      username: `u-${newId()}`,
      domain_name: 'd',
      name: '',
      detail: '',
    });
    await store.registrations.upsert({
      customer_id: customerId,
      extension_id: ext.id,
      transport: 'UDP',
      source: 'udp:192.0.2.9:5060',
      call_id: 'c',
      cseq: 1,
      user_agent: 'phone',
      contact: 'sip:c@192.0.2.9:5060',
      path: ['<sip:192.0.2.5:5060;lr>'],
      tm_expire: new Date(clock.now() + 60_000).toISOString(),
    });
    const directory = new DirectoryAdapter({ store, clock });
    assert.deepEqual(await directory.extensionContacts(customerId, ext.id), ['sip:c@192.0.2.9:5060']);
    assert.deepEqual(await directory.extensionContacts(customerId, ext.id.toUpperCase()), ['sip:c@192.0.2.9:5060']);
    assert.deepEqual([...(await directory.contactRoutes(customerId, ext.id)).keys()], ['sip:c@192.0.2.9:5060']);
    assert.equal(await directory.extensionContacts(newId(), ext.id), undefined, "another customer's id is unknown");
    assert.equal(await directory.extensionContacts(customerId, newId()), undefined);
    await store.extensions.delete(ext.id, { customerId });
    assert.equal(await directory.extensionContacts(customerId, ext.id), undefined, 'a deleted extension is unknown');
  });

  it("keeps each binding's Path (RFC 3327 §5.3) and gives it as the route set of the INVITE to that contact", async () => {
    const customerId = newId();
    const ext = await store.extensions.create({
      customer_id: customerId,
      extension: '1001',
      password: 'pw',
      username: `u-${newId()}`,
      domain_name: 'd',
      name: '',
      detail: '',
    });
    const binding = {
      customer_id: customerId,
      extension_id: ext.id,
      transport: 'UDP',
      source: 'udp:192.0.2.5:5060',
      call_id: 'c',
      cseq: 1,
      user_agent: 'phone',
      tm_expire: new Date(clock.now() + 60_000).toISOString(),
    };
    const edge = ['<sip:192.0.2.5:5060;lr>'];
    const stored = await store.registrations.upsert({ ...binding, contact: 'sip:a@10.0.0.7:5062', path: edge });
    assert.deepEqual(stored.path, edge);
    await store.registrations.upsert({ ...binding, contact: 'sip:b@192.0.2.8:5062' });
    const directory = new DirectoryAdapter({ store, clock });
    const contacts = (await directory.extensionContacts(customerId, '1001')) ?? [];
    assert.deepEqual([...contacts].sort(), ['sip:a@10.0.0.7:5062', 'sip:b@192.0.2.8:5062']);
    assert.deepEqual([...(await directory.contactRoutes(customerId, '1001'))], [['sip:a@10.0.0.7:5062', edge]]);

    const target = { kind: 'contacts' as const, extension: '1001', contacts };
    const targets = await withContactRoutes(inviteTargets(target, 'sip.test'), target, customerId, directory);
    const byUri = new Map(targets.map((t) => [t.requestUri, t.routes]));
    assert.deepEqual(byUri.get('sip:a@10.0.0.7:5062'), edge, 'the phone behind the edge is called through it');
    assert.equal(byUri.get('sip:b@192.0.2.8:5062'), undefined, 'a contact registered directly is called directly');
    assert.deepEqual([...(await directory.contactRoutes(newId(), '1001'))], []);
    assert.ok(targets.every((t) => t.to === '<sip:1001@sip.test>'));

    // Dialled by its id (docs/calls.md "Creating calls"), the extension is still named by its name in To.
    const byId = { kind: 'contacts' as const, extension: ext.id, contacts };
    const viaId = await withContactRoutes(inviteTargets(byId, 'sip.test'), byId, customerId, directory);
    assert.deepEqual(viaId.map((t) => [t.requestUri, t.to]).sort(), [
      ['sip:a@10.0.0.7:5062', '<sip:1001@sip.test>'],
      ['sip:b@192.0.2.8:5062', '<sip:1001@sip.test>'],
    ]);
    assert.equal(await directory.extensionName(newId(), ext.id), undefined, "another customer's id names nothing");
  });

  it('calls a browser (a contact registered over a WebSocket) back over its connection, with a WebRTC offer', async () => {
    const customerId = newId();
    const ext = await store.extensions.create({
      customer_id: customerId,
      extension: '2001',
      password: 'pw',
      username: `u-${newId()}`,
      domain_name: 'd',
      name: '',
      detail: '',
    });
    const binding = {
      customer_id: customerId,
      extension_id: ext.id,
      call_id: 'c',
      cseq: 1,
      user_agent: 'JsSIP',
      tm_expire: new Date(clock.now() + 60_000).toISOString(),
    };
    const browser = '<sip:r2d2@k7q9x.invalid;transport=ws>;+sip.ice';
    await store.registrations.upsert({ ...binding, transport: 'WS', source: 'ws:127.0.0.1:50123', contact: browser });
    await store.registrations.upsert({
      ...binding,
      transport: 'UDP',
      source: 'udp:192.0.2.8:5062',
      contact: 'sip:desk@192.0.2.8:5062',
    });
    const directory = new DirectoryAdapter({ store, clock });
    const contacts = (await directory.extensionContacts(customerId, '2001')) ?? [];
    const target = { kind: 'contacts' as const, extension: '2001', contacts };
    const targets = await withContactRoutes(inviteTargets(target, 'sip.test'), target, customerId, directory);
    const byUri = new Map(targets.map((t) => [t.requestUri, t]));
    const toBrowser = byUri.get('sip:r2d2@k7q9x.invalid;transport=ws');
    assert.deepEqual(toBrowser?.destination, { transport: 'WS', host: '127.0.0.1', port: 50123 });
    assert.equal(toBrowser?.webrtc, true);
    const toPhone = byUri.get('sip:desk@192.0.2.8:5062');
    assert.equal(toPhone?.destination, undefined, 'a UDP phone is called at its Contact');
    assert.equal(toPhone?.webrtc, undefined, 'a phone gets an RTP/AVP offer');
  });

  it('reads a WebSocket source and nothing else as a connection', () => {
    assert.deepEqual(connectionOfSource('wss:[2001:db8::1]:443'), { transport: 'WSS', host: '2001:db8::1', port: 443 });
    assert.deepEqual(connectionOfSource('ws:10.0.0.1:8080'), { transport: 'WS', host: '10.0.0.1', port: 8080 });
    assert.equal(connectionOfSource('udp:10.0.0.1:5060'), undefined);
    assert.equal(connectionOfSource('tcp:10.0.0.1:5060'), undefined);
    assert.equal(connectionOfSource('ws:10.0.0.1:0'), undefined);
    assert.equal(connectionOfSource('ws:10.0.0.1:99999'), undefined);
    assert.equal(connectionOfSource('garbage'), undefined);
  });
});
