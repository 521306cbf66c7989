import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ConferenceService } from '../conferences/index.ts';
import { FakeConferenceCalls, FakeConferenceMedia } from '../conferences/testing/fake-ports.ts';
import { EventHub, EventPublisher, SsrfGuard } from '../events/index.ts';
import { FlowEngine } from '../flows/index.ts';
import { FakeCallControl, FakeConferences } from '../flows/testing/fake-ports.ts';
import { NIL_UUID, newId, silentLogger, systemClock } from '../shared/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { ActiveflowStoreAdapter } from '../telephony/persistence/activeflow-store-adapter.ts';
import { ConferenceStoreAdapter } from '../telephony/persistence/conference-store-adapter.ts';
import { FlowHttpAdapter } from '../telephony/flows/flow-http-adapter.ts';
import { FlowLookupAdapter } from '../telephony/flows/flow-lookup-adapter.ts';
import { buildServer, ensureProjectAdmin } from './index.ts';
import type { ActiveflowRuntime } from './routes/activeflows-deps.ts';

interface Res {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

describe('api: VoIPBIN request forms on customers, numbers, flows, activeflows and conferences', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callbin-voipbin-'));
  let store: Store;
  let engine: FlowEngine;
  let http: FlowHttpAdapter;
  let conferences: ConferenceService;
  let app: FastifyInstance;
  let adminKey = '';
  let key = '';
  /** What the API handed the runtime with each `POST /activeflows`. */
  const started: Parameters<ActiveflowRuntime['startForApi']>[0][] = [];

  const request = async (method: string, url: string, o: { key?: string; body?: unknown; raw?: string } = {}) => {
    const payload = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${o.key ?? key}`,
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload !== undefined ? { payload } : {}),
    });
    return { status: res.statusCode, body: JSON.parse(res.body), headers: res.headers } as Res;
  };
  const ok = async (method: string, url: string, body?: unknown, asKey = key): Promise<any> => {
    const res = await request(method, url, { key: asKey, body });
    assert.equal(res.status, 200, `${method} ${url}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const fails = async (res: Promise<Res>, status: number, reason: string, field?: string) => {
    const { status: got, body } = await res;
    assert.equal(got, status, JSON.stringify(body));
    assert.equal(body.error.reason, reason);
    if (field !== undefined) assert.equal(body.error.details?.[0]?.field, field);
  };

  before(async () => {
    store = await openStore({ dataDir: dir, clock: systemClock });
    const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
    assert.ok(admin);
    adminKey = admin.accessKey;
    const hub = new EventHub();
    const events = new EventPublisher({ hub });
    const records = new ActiveflowStoreAdapter({ store, events });
    http = new FlowHttpAdapter({ store, clock: systemClock, guard: new SsrfGuard({ mode: 'local' }) });
    engine = new FlowEngine({
      store: records,
      flows: new FlowLookupAdapter(store),
      calls: new FakeCallControl(),
      conferences: new FakeConferences(),
      http,
      clock: systemClock,
    });
    const runtime: ActiveflowRuntime = {
      startForApi: (r) => (started.push(r), engine.startForApi(r)),
      get: (id) => engine.get(id),
      stop: (id, options) => engine.stop(id, options),
    };
    const confRecords = new ConferenceStoreAdapter({ store, events });
    conferences = new ConferenceService({
      store: confRecords,
      media: new FakeConferenceMedia(),
      calls: new FakeConferenceCalls(),
      clock: systemClock,
    });
    app = await buildServer({
      store,
      clock: systemClock,
      logger: silentLogger,
      jwtSecret: randomBytes(32),
      sipDomain: 'sip.test',
      mode: 'local',
      rateLimitPerSec: 100_000,
      rateLimitBurst: 100_000,
      events: hub,
      activeflows: { engine: runtime, records },
      conferences: { service: conferences, records: confRecords },
    });
    const c = await ok('POST', '/v1.0/customers', { name: 'voipbin' }, adminKey);
    key = (await ok('POST', '/v1.0/accesskeys', { name: 'k', customer_id: c.id }, adminKey)).token;
  });
  after(async () => {
    conferences.close();
    await engine.close();
    await engine.whenIdle();
    await app.close();
    await http.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('customers take phone_number and address, answer metadata; PUT /customer/metadata replaces it', async () => {
    const form = {
      name: 'Acme',
      detail: 'd',
      email: 'a@example.com',
      phone_number: '+14155551234',
      address: '1 Main St',
    };
    const created = await ok('POST', '/v1.0/customers', { ...form, webhook_method: 'POST', webhook_uri: '' }, adminKey);
    assert.equal(created.phone_number, '+14155551234');
    assert.equal(created.address, '1 Main St');
    assert.deepEqual(created.metadata, { rtp_debug: false });
    const changed = await ok(
      'PUT',
      `/v1.0/customers/${created.id}`,
      { phone_number: '', address: 'PO Box 9' },
      adminKey,
    );
    assert.deepEqual([changed.phone_number, changed.address], ['', 'PO Box 9']);
    await fails(
      request('PUT', `/v1.0/customers/${created.id}`, { key: adminKey, body: { phone_number: '555' } }),
      400,
      'INVALID_E164',
    );
    assert.equal((await ok('PUT', '/v1.0/customer', { address: 'Here' })).address, 'Here');
    assert.deepEqual((await ok('PUT', '/v1.0/customer/metadata', { rtp_debug: true })).metadata, { rtp_debug: true });
    assert.deepEqual((await ok('GET', '/v1.0/customer')).metadata, { rtp_debug: true });
    assert.deepEqual((await ok('PUT', '/v1.0/customer/metadata', {})).metadata, { rtp_debug: false });
    await fails(request('PUT', '/v1.0/customer/metadata', { body: { pcap: true } }), 400, 'UNKNOWN_FIELD', 'pcap');
  });

  it('numbers take type and message_flow_id and answer VoIPBIN fields; PUT …/flow_ids and …/metadata change them', async () => {
    const flow = await ok('POST', '/v1.0/flows', { name: 'f', detail: '', actions: [] });
    const n = await ok('POST', '/v1.0/numbers', {
      number: '+14155550123',
      type: 'virtual',
      call_flow_id: flow.id,
      message_flow_id: '',
      name: 'main',
      detail: '',
    });
    assert.deepEqual(
      [n.type, n.call_flow_id, n.message_flow_id, n.metadata, n.tm_purchase, n.tm_renew],
      ['virtual', flow.id, NIL_UUID, { rtp_debug: false }, n.tm_create, ''],
    );
    const ids = await ok('PUT', `/v1.0/numbers/${n.id}/flow_ids`, { message_flow_id: flow.id });
    assert.deepEqual([ids.call_flow_id, ids.message_flow_id], [flow.id, flow.id]);
    const cleared = await ok('PUT', `/v1.0/numbers/${n.id}`, { call_flow_id: '', name: 'x', detail: '' });
    assert.deepEqual([cleared.call_flow_id, cleared.message_flow_id], [NIL_UUID, flow.id]);
    assert.deepEqual((await ok('PUT', `/v1.0/numbers/${n.id}/metadata`, { rtp_debug: true })).metadata, {
      rtp_debug: true,
    });
    assert.deepEqual((await ok('GET', `/v1.0/numbers/${n.id}`)).metadata, { rtp_debug: true });
    const missing = { message_flow_id: newId() };
    await fails(
      request('PUT', `/v1.0/numbers/${n.id}/flow_ids`, { body: missing }),
      400,
      'FLOW_NOT_FOUND',
      'message_flow_id',
    );
    await fails(request('PUT', `/v1.0/numbers/${newId()}/metadata`, { body: {} }), 404, 'NUMBER_NOT_FOUND');
  });

  it('flows take on_complete_flow_id; flows, extensions and conferences answer direct_hash; conferences keep data', async () => {
    const first = await ok('POST', '/v1.0/flows', { name: 'a', detail: '', actions: [] });
    assert.equal(first.on_complete_flow_id, NIL_UUID);
    assert.match(first.direct_hash, /^[0-9a-f]{24}$/, 'a flow has a direct hash from its creation');
    const next = await ok('POST', '/v1.0/flows', { name: 'b', detail: '', actions: [], on_complete_flow_id: first.id });
    assert.equal(next.on_complete_flow_id, first.id);
    assert.equal(
      (await ok('PUT', `/v1.0/flows/${next.id}`, { on_complete_flow_id: '' })).on_complete_flow_id,
      NIL_UUID,
    );
    const unknown = { actions: [], on_complete_flow_id: newId() };
    await fails(request('POST', '/v1.0/flows', { body: unknown }), 400, 'FLOW_NOT_FOUND', 'on_complete_flow_id');
    const ext = await ok('POST', '/v1.0/extensions', { extension: '1001', password: 'secret123' });
    assert.match(ext.direct_hash, /^[0-9a-f]{24}$/);
    const form = { type: 'conference', name: 'room', detail: '', timeout: 0, pre_flow_id: '', post_flow_id: '' };
    const room = await ok('POST', '/v1.0/conferences', { ...form, data: { team: 'blue', n: 3 } });
    assert.deepEqual(room.data, { team: 'blue', n: 3 });
    assert.match(room.direct_hash, /^[0-9a-f]{24}$/);
    assert.deepEqual((await ok('PUT', `/v1.0/conferences/${room.id}`, { data: {} })).data, {});
    assert.deepEqual((await ok('GET', `/v1.0/conferences/${room.id}`)).data, {});
    const many = Object.fromEntries(Array.from({ length: 65 }, (_v, i) => [`k${i}`, i]));
    await fails(request('POST', '/v1.0/conferences', { body: { data: many } }), 400, 'TOO_MANY_ITEMS', 'data');
    const big = { blob: 'x'.repeat(17 * 1024) };
    await fails(request('PUT', `/v1.0/conferences/${room.id}`, { body: { data: big } }), 400, 'TOO_LONG', 'data');
  });

  it('activeflows take a free id and webhook_method and pass them on; a taken id is 409; answers carry VoIPBIN fields', async () => {
    const id = newId();
    const body = { id, actions: [{ type: 'variable_set', option: { key: 'k', value: 'v' } }] };
    const af = await ok('POST', '/v1.0/activeflows', {
      ...body,
      webhook_uri: 'https://example.com/hook',
      webhook_method: 'PUT',
    });
    assert.deepEqual(started.at(-1), {
      customer_id: af.customer_id,
      id,
      actions: body.actions,
      webhook_uri: 'https://example.com/hook',
      webhook_method: 'PUT',
    });
    for (const field of ['reference_activeflow_id', 'on_complete_flow_id', 'forward_action_id'])
      assert.equal(af[field], NIL_UUID, field);
    assert.equal(af.webhook_uri, 'https://example.com/hook');
    const plain = await ok('GET', `/v1.0/activeflows/${af.id}`);
    const listed = (await ok('GET', '/v1.0/activeflows')).result.find((x: { id: string }) => x.id === af.id);
    assert.equal(listed.forward_action_id, NIL_UUID);
    assert.equal(plain.webhook_uri, 'https://example.com/hook');
    // An id some activeflow has (any customer's, deleted or not) is refused.
    await fails(request('POST', '/v1.0/activeflows', { body: { ...body, id: af.id } }), 409, 'ALREADY_EXISTS', 'id');
    await ok('DELETE', `/v1.0/activeflows/${af.id}`);
    await fails(request('POST', '/v1.0/activeflows', { body: { ...body, id: af.id } }), 409, 'ALREADY_EXISTS', 'id');
    // The nil UUID (what a client with an unset id sends) and '' mean none.
    for (const none of [NIL_UUID, '']) {
      await ok('POST', '/v1.0/activeflows', { ...body, id: none });
      assert.equal(started.at(-1)?.id, undefined);
    }
    const bad = { ...body, id: newId(), webhook_method: 'PATCH' };
    await fails(request('POST', '/v1.0/activeflows', { body: bad }), 400, 'INVALID_VALUE', 'webhook_method');
  });

  it('an empty JSON body of a POST or DELETE is {}; a non-empty bad one stays 400 MALFORMED_JSON', async () => {
    const af = await ok('POST', '/v1.0/activeflows', { actions: [{ type: 'sleep', option: { duration: 60_000 } }] });
    const stopped = await request('POST', `/v1.0/activeflows/${af.id}/stop`, { raw: '' });
    assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
    assert.equal(stopped.body.status, 'ended');
    const flow = await ok('POST', '/v1.0/flows', { actions: [] });
    assert.equal((await request('DELETE', `/v1.0/flows/${flow.id}`, { raw: '' })).status, 200);
    await fails(request('POST', `/v1.0/activeflows/${af.id}/stop`, { raw: '{' }), 400, 'MALFORMED_JSON');
    await fails(request('POST', `/v1.0/activeflows/${af.id}/stop`, { raw: ' ' }), 400, 'MALFORMED_JSON');
  });
});
