import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ConferenceService } from '../../conferences/index.ts';
import { FakeConferenceCalls, FakeConferenceMedia } from '../../conferences/testing/fake-ports.ts';
import { EventHub, EventPublisher } from '../../events/index.ts';
import { newId, silentLogger, systemClock } from '../../shared/index.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { ConferenceStoreAdapter } from '../../telephony/persistence/conference-store-adapter.ts';
import { buildServer, ensureProjectAdmin } from '../index.ts';

interface Res {
  status: number;
  body: any;
}

describe('api: /conferences and /conferencecalls over the real store and service (fake mix and calls)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callbin-conf-api-'));
  const media = new FakeConferenceMedia();
  const calls = new FakeConferenceCalls();
  let store: Store;
  let service: ConferenceService;
  let app: FastifyInstance;
  let bare: FastifyInstance;
  let adminKey = '';
  let a: { id: string; key: string };
  let b: { id: string; key: string };

  const request = async (method: string, url: string, key: string, body?: unknown, server = app): Promise<Res> => {
    const res = await server.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, body: JSON.parse(res.body) };
  };
  const ok = async (method: string, url: string, key: string, body?: unknown): Promise<any> => {
    const res = await request(method, url, key, body);
    assert.equal(res.status, 200, `${method} ${url}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const newCustomer = async (name: string) => {
    const c = await request('POST', '/v1.0/customers', adminKey, { name });
    const k = await request('POST', '/v1.0/accesskeys', adminKey, { name: 'k', customer_id: c.body.id });
    return { id: c.body.id as string, key: k.body.token as string };
  };
  const types = async (resource: string, id: string) =>
    (await store.outbox.listForResource(resource, id)).map((e) => e.type);

  before(async () => {
    store = await openStore({ dataDir: dir, clock: systemClock });
    const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
    assert.ok(admin);
    adminKey = admin.accessKey;
    const hub = new EventHub();
    const records = new ConferenceStoreAdapter({ store, events: new EventPublisher({ hub }) });
    service = new ConferenceService({ store: records, media, calls, clock: systemClock });
    const deps = {
      store,
      clock: systemClock,
      logger: silentLogger,
      jwtSecret: randomBytes(32),
      sipDomain: 'sip.test',
      mode: 'local' as const,
      rateLimitPerSec: 100_000,
      rateLimitBurst: 100_000,
      events: hub,
    };
    app = await buildServer({ ...deps, conferences: { service, records } });
    bare = await buildServer(deps);
    a = await newCustomer('A');
    b = await newCustomer('B');
  });
  after(async () => {
    service.close();
    await app.close();
    await bare.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('POST validates type, timeout and flow ids; GET, list filters and PUT work within the customer', async () => {
    assert.equal((await request('POST', '/v1.0/conferences', a.key, { type: 'party' })).status, 400);
    assert.equal((await request('POST', '/v1.0/conferences', a.key, { timeout: -5 })).status, 400);
    const badFlow = await request('POST', '/v1.0/conferences', a.key, { pre_flow_id: newId() });
    assert.equal(badFlow.status, 400);
    assert.equal(badFlow.body.error.reason, 'FLOW_NOT_FOUND');
    const flow = await ok('POST', '/v1.0/flows', a.key, { name: 'f', actions: [{ type: 'answer' }] });
    const room = await ok('POST', '/v1.0/conferences', a.key, { name: 'room', timeout: 3600, pre_flow_id: flow.id });
    assert.equal(room.customer_id, a.id);
    assert.equal(room.type, 'conference');
    assert.equal(room.status, 'progressing');
    assert.equal(room.pre_flow_id, flow.id);
    const connect = await ok('POST', '/v1.0/conferences', a.key, { type: 'connect' });
    assert.deepEqual(await ok('GET', `/v1.0/conferences/${room.id}`, a.key), room);
    assert.deepEqual(
      (await ok('GET', '/v1.0/conferences', a.key)).result.map((c: { id: string }) => c.id),
      [connect.id, room.id],
    );
    assert.deepEqual(
      (await ok('GET', '/v1.0/conferences?type=connect', a.key)).result.map((c: { id: string }) => c.id),
      [connect.id],
    );
    const renamed = await ok('PUT', `/v1.0/conferences/${room.id}`, a.key, { name: 'renamed', pre_flow_id: '' });
    assert.equal(renamed.name, 'renamed');
    assert.equal(renamed.pre_flow_id, '00000000-0000-0000-0000-000000000000');
    assert.deepEqual(await types('conference', room.id), ['conference_created', 'conference_updated']);
    assert.deepEqual((await ok('GET', '/v1.0/conferences', b.key)).result, []);
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['PUT', '', { name: 'x' }],
      ['DELETE', '', undefined],
      ['POST', '/recording_start', undefined],
    ] as const) {
      const res = await request(method, `/v1.0/conferences/${room.id}${path}`, b.key, body);
      assert.equal(res.status, 404, `${method} ${path} of another customer's conference`);
      assert.equal(res.body.error.reason, 'CONFERENCE_NOT_FOUND');
    }
  });

  it('conferencecalls: list, get, mute and unmute, kick (the join resolves), all scoped; events are stored', async () => {
    const room = await ok('POST', '/v1.0/conferences', a.key, {});
    const callId = calls.add(newId(), a.id);
    const joined = service.join(callId, room.id, new AbortController().signal);
    const list = async (key: string, query = `conference_id=${room.id}`) =>
      (await ok('GET', `/v1.0/conferencecalls?${query}`, key)).result;
    for (let i = 0; i < 100 && (await list(a.key, `conference_id=${room.id}&status=joined`)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    const [cc] = await list(a.key, `conference_id=${room.id}&status=joined`);
    assert.equal(cc.reference_id, callId);
    assert.deepEqual((await ok('GET', `/v1.0/conferences/${room.id}`, a.key)).conferencecall_ids, [cc.id]);
    assert.equal((await ok('GET', `/v1.0/conferencecalls/${cc.id}`, a.key)).status, 'joined');
    assert.deepEqual(await list(b.key), []);
    assert.equal((await request('GET', `/v1.0/conferencecalls/${cc.id}`, b.key)).status, 404);
    assert.equal((await request('POST', `/v1.0/conferencecalls/${cc.id}/mute`, b.key)).status, 404);
    assert.equal((await request('DELETE', `/v1.0/conferencecalls/${cc.id}`, b.key)).status, 404);
    assert.equal((await ok('POST', `/v1.0/conferencecalls/${cc.id}/mute`, a.key)).muted, true);
    assert.equal(media.rooms.get(room.id)?.get(cc.id)?.muted, true);
    assert.equal((await ok('DELETE', `/v1.0/conferencecalls/${cc.id}/mute`, a.key)).muted, false);
    const kicked = await ok('DELETE', `/v1.0/conferencecalls/${cc.id}`, a.key);
    assert.equal(kicked.status, 'leaved');
    await joined;
    assert.equal((await ok('GET', `/v1.0/conferencecalls/${cc.id}`, a.key)).status, 'leaved');
    const muteLeft = await request('POST', `/v1.0/conferencecalls/${cc.id}/mute`, a.key);
    assert.equal(muteLeft.status, 409);
    assert.equal(muteLeft.body.error.reason, 'CONFERENCECALL_NOT_JOINED');
    assert.deepEqual(await types('conferencecall', cc.id), ['conferencecall_joined', 'conferencecall_leaved']);
    assert.equal(
      (await request('GET', `/v1.0/conferencecalls/${newId()}`, a.key)).body.error.reason,
      'CONFERENCECALL_NOT_FOUND',
    );
  });

  it('DELETE ends the conference (members kicked), emits conference_deleted and hides it', async () => {
    const room = await ok('POST', '/v1.0/conferences', a.key, {});
    const joined = service.join(calls.add(newId(), a.id), room.id, new AbortController().signal);
    for (let i = 0; i < 100 && media.callsIn(room.id).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const deleted = await ok('DELETE', `/v1.0/conferences/${room.id}`, a.key);
    await joined;
    assert.equal(deleted.status, 'terminated');
    assert.ok(deleted.tm_delete);
    assert.equal((await request('GET', `/v1.0/conferences/${room.id}`, a.key)).status, 404);
    const events = await types('conference', room.id);
    assert.equal(events[0], 'conference_created');
    assert.equal(events.at(-1), 'conference_deleted');
  });

  it('recording_start answers 501 without a conference recorder; a server without conferences answers 503', async () => {
    const room = await ok('POST', '/v1.0/conferences', a.key, {});
    const res = await request('POST', `/v1.0/conferences/${room.id}/recording_start`, a.key);
    assert.equal(res.status, 501);
    assert.equal(res.body.error.reason, 'CONFERENCE_RECORDING_UNAVAILABLE');
    const unavailable = await request('GET', '/v1.0/conferences', a.key, undefined, bare);
    assert.equal(unavailable.status, 503);
    assert.equal(unavailable.body.error.reason, 'CONFERENCES_UNAVAILABLE');
  });
});
