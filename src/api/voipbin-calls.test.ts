import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CallsApi, startCallsApi } from '../../test/support/calls-api.ts';
import type { Call } from '../calls/index.ts';
import { FLOW, KR_NUMBER as KR } from '../calls/testing/call-fixtures.ts';
import { address } from '../calls/testing/fake-ports.ts';
import { newId } from '../shared/index.ts';
import { DirectoryAdapter } from '../telephony/signaling/directory-adapter.ts';

// VoIPBIN's forms of POST /calls and of the mute controls (docs/calls.md "Creating calls").
describe('calls API: VoIPBIN forms', () => {
  let api: CallsApi;
  let keyA = '';
  let keyB = '';
  before(async () => {
    api = await startCallsApi({ name: 'callbin-voipbin-calls-' });
    keyA = (await api.newCustomer('a')).key;
    keyB = (await api.newCustomer('b')).key;
    // Extensions are looked up in the store, as in production.
    const directory = new DirectoryAdapter({ store: api.store, clock: api.clock });
    api.fakes.directory.extensionContacts = (customerId, extension) =>
      directory.extensionContacts(customerId, extension);
  });
  after(() => api.close());

  const post = (key: string, fields: Record<string, unknown>) =>
    api.request('POST', '/v1.0/calls', { key, body: api.callBody(fields) });

  it('anonymous "auto" is accepted and shows the caller id; the answer carries groupcalls: []', async () => {
    const res = await post(keyA, { anonymous: 'auto' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.groupcalls, []);
    const [call] = res.body.calls as Call[];
    assert.ok(call);
    await api.service.whenIdle();
    assert.equal(api.fakes.signaling.last(call.id).request.anonymous, false);
    const hidden = await post(keyA, { anonymous: 'yes' });
    await api.service.whenIdle();
    assert.equal(api.fakes.signaling.last((hidden.body.calls as Call[])[0]?.id ?? '').request.anonymous, true);
    const bad = await post(keyA, { anonymous: 'maybe' });
    assert.equal(bad.status, 400);
  });

  it('flow_id beside actions: flow_id wins', async () => {
    const res = await post(keyA, { actions: [{ type: 'bogus' }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [call] = res.body.calls as Call[];
    assert.equal(call?.flow_id, FLOW);
  });

  it('an undialable destination is skipped; the request fails only when every destination fails', async () => {
    const before = api.fakes.signaling.attempts.length;
    const res = await post(keyA, {
      destinations: [address('extension', 'nobody'), address('tel', '+16062067563'), address('tel', KR)],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      (res.body.calls as Call[]).map((c) => c.destination.target),
      [KR],
    );
    assert.deepEqual(res.body.groupcalls, []);
    await api.service.whenIdle();
    assert.equal(api.fakes.signaling.attempts.length, before + 1);

    const none = await post(keyA, { destinations: [address('extension', 'nobody'), address('tel', '+16062067563')] });
    assert.deepEqual(
      [none.status, none.body.error.reason, none.body.error.message],
      [404, 'EXTENSION_NOT_FOUND', 'destinations[0].target: extension "nobody" does not exist'],
    );
    const malformed = await post(keyA, { destinations: [address('tel', KR), address('tel', '16062067563')] });
    assert.deepEqual([malformed.status, malformed.body.error.reason], [400, 'INVALID_E164']);
    await api.service.whenIdle();
    assert.equal(api.fakes.signaling.attempts.length, before + 1);
  });

  it("dials an extension by its id; another customer's extension id is EXTENSION_NOT_FOUND", async () => {
    const created = await api.request('POST', '/v1.0/extensions', {
      key: keyA,
      body: { extension: '4001', password: 'secret123' },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const ext = created.body as { id: string; customer_id: string };
    await api.store.registrations.upsert({
      customer_id: ext.customer_id,
      extension_id: ext.id,
      transport: 'UDP',
      source: 'udp:192.0.2.40:5060',
      call_id: 'reg-1',
      cseq: 1,
      user_agent: 'phone',
      contact: 'sip:4001@192.0.2.40:5060',
      tm_expire: new Date(api.clock.now() + 600_000).toISOString(),
    });
    const res = await post(keyA, { destinations: [address('extension', ext.id)] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [call] = res.body.calls as Call[];
    assert.ok(call);
    await api.service.whenIdle();
    const { target } = api.fakes.signaling.last(call.id).request;
    assert.deepEqual(target.kind === 'contacts' ? target.contacts : target, ['sip:4001@192.0.2.40:5060']);

    for (const [key, id] of [
      [keyB, ext.id],
      [keyA, newId()],
    ] as const) {
      const refused = await post(key, { destinations: [address('extension', id)] });
      assert.deepEqual(
        [refused.status, refused.body.error.reason, refused.body.error.message],
        [404, 'EXTENSION_NOT_FOUND', `destinations[0].target: extension ${JSON.stringify(id)} does not exist`],
      );
    }
    const byName = await post(keyB, { destinations: [address('extension', '4001')] });
    assert.deepEqual([byName.status, byName.body.error.reason], [404, 'EXTENSION_NOT_FOUND']);
  });

  it('mute direction "" or omitted means both, on POST and DELETE', async () => {
    const call = await api.create(keyA);
    await api.answer(call.id);
    const mute = async (method: 'POST' | 'DELETE', body: Record<string, unknown> | undefined): Promise<string> => {
      const res = await api.request(method, `/v1.0/calls/${call.id}/mute`, {
        key: keyA,
        ...(body !== undefined ? { body } : {}),
      });
      assert.equal(res.status, 200, `${method} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      return (res.body as Call).mute_direction;
    };
    assert.equal(await mute('POST', { direction: '' }), 'both');
    assert.equal(await mute('DELETE', {}), '');
    assert.equal(await mute('POST', undefined), 'both');
    assert.equal(await mute('DELETE', { direction: '' }), '');
    assert.equal(await mute('POST', { direction: 'in' }), 'in');
    assert.equal(await mute('DELETE', undefined), '');
    const bad = await api.request('POST', `/v1.0/calls/${call.id}/mute`, { key: keyA, body: { direction: 'up' } });
    assert.equal(bad.status, 400);
  });

  it('talk without language speaks en-US, as the talk action; provider is accepted', async () => {
    const call = await api.create(keyA);
    await api.answer(call.id);
    const spoken: string[] = [];
    const talk = api.fakes.media.talk.bind(api.fakes.media);
    api.fakes.media.talk = async (legId, request) => {
      spoken.push(`${request.text}/${request.language}`);
      return talk(legId, request);
    };
    for (const body of [
      { text: 'plain' },
      { text: 'as voipbin', provider: 'gcp' },
      { text: 'hei', language: 'fi-FI' },
    ]) {
      const res = await api.request('POST', `/v1.0/calls/${call.id}/talk`, { key: keyA, body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    assert.deepEqual(spoken, ['plain/en-US', 'as voipbin/en-US', 'hei/fi-FI']);
  });
});
