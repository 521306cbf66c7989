import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConferenceService } from '../../conferences/index.ts';
import { FakeConferenceCalls, FakeConferenceMedia } from '../../conferences/testing/fake-ports.ts';
import { EventHub, EventPublisher } from '../../events/index.ts';
import { FakeClock, systemClock } from '../../shared/index.ts';
import { parseMessage } from '../../sip/index.ts';
import type { SipRequest } from '../../sip/index.ts';
import { ConferenceStoreAdapter } from '../../telephony/persistence/conference-store-adapter.ts';
import { DirectAddresses } from '../../telephony/signaling/direct-addresses.ts';
import { openTestStore, startTestServer } from '../testing/test-server.ts';
import type { TestServer } from '../testing/test-server.ts';

const HEX24 = /^[0-9a-f]{24}$/;
const SIP_DOMAIN = 'sip.test';

/** An INVITE to `user@host` as the SIP stack hands it over. */
function invite(user: string, host: string): SipRequest {
  const text = [
    `INVITE sip:${user}@${host} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKdirect1',
    'From: <sip:caller@192.0.2.9>;tag=1',
    `To: <sip:${user}@${host}>`,
    'Call-ID: direct-1',
    'CSeq: 1 INVITE',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

describe('api: direct hashes of flows, extensions and conferences (docs/api.md "Direct addresses")', () => {
  let server: TestServer;
  let service: ConferenceService;
  let direct: DirectAddresses;
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  const domainOf = (customerId: string) => `${customerId}.${SIP_DOMAIN}`;

  const call = async (method: string, url: string, key: string, body?: unknown) =>
    server.request(method, url, { key, ...(body !== undefined ? { body } : {}) });
  const ok = async (method: string, url: string, key: string, body?: unknown) => {
    const res = await call(method, url, key, body);
    assert.equal(res.status, 200, `${method} ${url}: ${JSON.stringify(res.body)}`);
    return res.body;
  };

  before(async () => {
    const base = await openTestStore(systemClock, 'callbin-direct-');
    const records = new ConferenceStoreAdapter({
      store: base.store,
      events: new EventPublisher({ hub: new EventHub() }),
    });
    service = new ConferenceService({
      store: records,
      media: new FakeConferenceMedia(),
      calls: new FakeConferenceCalls(),
      clock: systemClock,
    });
    server = await startTestServer(base, {
      deps: { conferences: { service, records } },
      beforeClose: () => service.close(),
    });
    direct = new DirectAddresses({
      store: base.store,
      sipDomain: SIP_DOMAIN,
      clock: systemClock,
      conferences: {
        isJoinable: async (c, id) => (await service.get(id, { customerId: c }))?.status === 'progressing',
      },
    });
    a = await server.newCustomer('A');
    b = await server.newCustomer('B');
  });
  after(() => server.close());

  const resources = [
    { path: 'flows', kind: 'flow', reason: 'FLOW_NOT_FOUND', body: { name: 'f', actions: [{ type: 'answer' }] } },
    {
      path: 'extensions',
      kind: 'extension',
      reason: 'EXTENSION_NOT_FOUND',
      body: { extension: '2001', password: 'Secret-pass-1' },
    },
    { path: 'conferences', kind: 'conference', reason: 'CONFERENCE_NOT_FOUND', body: { name: 'room' } },
  ] as const;

  for (const r of resources) {
    it(`${r.path}: a hash from creation, a new one each regenerate, shown by GET and the list; the old one stops routing`, async () => {
      const created = await ok('POST', `/v1.0/${r.path}`, a.key, r.body);
      assert.match(created.direct_hash, HEX24, 'created with a hash');
      assert.equal((await ok('GET', `/v1.0/${r.path}/${created.id}`, a.key)).direct_hash, created.direct_hash);
      const seen = [created.direct_hash as string];
      for (let i = 0; i < 3; i++) {
        const answer = await ok('POST', `/v1.0/${r.path}/${created.id}/direct-hash-regenerate`, a.key);
        assert.equal(answer.id, created.id);
        assert.equal(answer.customer_id, a.id);
        assert.match(answer.direct_hash, HEX24);
        assert.ok(!seen.includes(answer.direct_hash), `regenerate ${i + 1} gave a hash never given before`);
        seen.push(answer.direct_hash);
        assert.equal((await ok('GET', `/v1.0/${r.path}/${created.id}`, a.key)).direct_hash, answer.direct_hash);
      }
      const current = seen[seen.length - 1] as string;
      const listed = (await ok('GET', `/v1.0/${r.path}`, a.key)).result.find(
        (x: { id: string }) => x.id === created.id,
      );
      assert.equal(listed.direct_hash, current, 'the list shows the hash too');

      // SIP: only the current hash, only in the owner's domain, reaches the resource.
      assert.deepEqual(await direct.find(current, domainOf(a.id)), {
        kind: r.kind,
        id: created.id,
        customerId: a.id,
        label: r.kind === 'flow' ? 'f' : r.kind === 'extension' ? '2001' : '',
      });
      for (const old of seen.slice(0, -1)) assert.equal(await direct.find(old, domainOf(a.id)), undefined);
      assert.equal(await direct.find(current, domainOf(b.id)), undefined, "another customer's domain");
      assert.equal(await direct.find(current, SIP_DOMAIN), undefined, 'the platform domain');
    });

    it(`${r.path}: another customer's id and an unknown id are 404 and change nothing`, async () => {
      const created = await ok(
        'POST',
        `/v1.0/${r.path}`,
        a.key,
        r.path === 'extensions' ? { ...r.body, extension: '2002' } : r.body,
      );
      for (const [key, id] of [
        [b.key, created.id],
        [a.key, '00000000-0000-4000-8000-000000000000'],
        [a.key, 'not-a-uuid'],
      ] as const) {
        const res = await call('POST', `/v1.0/${r.path}/${id}/direct-hash-regenerate`, key);
        assert.equal(res.status, 404, JSON.stringify(res.body));
        assert.equal(res.body.error.reason, r.reason);
      }
      assert.equal((await ok('GET', `/v1.0/${r.path}/${created.id}`, a.key)).direct_hash, created.direct_hash);
    });
  }

  it('a deleted resource is no longer reached; a live hash cannot be given to a second row', async () => {
    const flow = await ok('POST', '/v1.0/flows', a.key, resources[0].body);
    const other = await ok('POST', '/v1.0/flows', b.key, resources[0].body);
    await assert.rejects(server.store.flows.update(other.id, { direct_hash: flow.direct_hash }), {
      code: 'ALREADY_EXISTS',
    });
    assert.equal((await direct.find(flow.direct_hash, domainOf(a.id)))?.id, flow.id);
    await ok('DELETE', `/v1.0/flows/${flow.id}`, a.key);
    assert.equal(await direct.find(flow.direct_hash, domainOf(a.id)), undefined);
  });

  it('routes: a flow runs, an extension is connected, a conference joined; misses count per source', async () => {
    const clock = new FakeClock();
    const limits = { maxFailures: 3, windowMs: 60_000, blockMs: 300_000, maxBlockMs: 3_600_000, maxKeys: 100 };
    const guarded = new DirectAddresses({
      store: server.store,
      sipDomain: SIP_DOMAIN,
      clock,
      missLimits: limits,
      conferences: {
        isJoinable: async (c, id) => (await service.get(id, { customerId: c }))?.status === 'progressing',
      },
    });
    const domain = domainOf(a.id);
    const flow = await ok('POST', '/v1.0/flows', a.key, resources[0].body);
    const ext = await ok('POST', '/v1.0/extensions', a.key, { ...resources[1].body, extension: '2003' });
    const room = await ok('POST', '/v1.0/conferences', a.key, resources[2].body);
    assert.ok(guarded.isDirect(invite(`direct.${flow.direct_hash}`, domain)));
    assert.ok(!guarded.isDirect(invite('+15550001111', domain)));

    const toFlow = await guarded.route(invite(`direct.${flow.direct_hash}`, domain), '192.0.2.9');
    assert.deepEqual(toFlow.kind === 'call' && toFlow.flow, { flow_id: flow.id });
    const toExt = await guarded.route(invite(`direct.${ext.direct_hash}`, domain), '192.0.2.9');
    assert.deepEqual(toExt.kind === 'call' && toExt.destination, {
      type: 'extension',
      target: '2003',
      target_name: '',
      name: '',
      detail: '',
    });
    assert.deepEqual(toExt.kind === 'call' && toExt.flow, {
      actions: [
        {
          type: 'connect',
          option: { destinations: [{ type: 'extension', target: '2003', target_name: '', name: '', detail: '' }] },
        },
      ],
    });
    const toRoom = await guarded.route(invite(`direct.${room.direct_hash}`, domain), '192.0.2.9');
    assert.equal(toRoom.kind === 'call' && toRoom.type, 'conference');

    const notFound = { kind: 'refuse', status: 404, reason: 'Not Found' };
    for (const user of ['direct.0123456789abcdef01234567', 'direct.nothex', `direct.${flow.direct_hash}`]) {
      const host = user.endsWith(flow.direct_hash) ? domainOf(b.id) : domain;
      assert.deepEqual(await guarded.route(invite(user, host), '198.51.100.7'), notFound, user);
    }
    // Three misses block the source: even a valid address is 404 for it, other sources are not held up.
    assert.deepEqual(await guarded.route(invite(`direct.${flow.direct_hash}`, domain), '198.51.100.7'), notFound);
    assert.equal((await guarded.route(invite(`direct.${flow.direct_hash}`, domain), '192.0.2.9')).kind, 'call');
    clock.advance(limits.blockMs);
    assert.equal((await guarded.route(invite(`direct.${flow.direct_hash}`, domain), '198.51.100.7')).kind, 'call');
    // A terminated conference is no longer joinable: 404 like an unknown hash.
    await ok('DELETE', `/v1.0/conferences/${room.id}`, a.key);
    assert.deepEqual(await guarded.route(invite(`direct.${room.direct_hash}`, domain), '192.0.2.9'), notFound);
  });
});
