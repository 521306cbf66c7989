import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallService } from '../calls/index.ts';
import type { Call } from '../calls/index.ts';
import {
  FakeDirectory,
  FakeFlows,
  FakeIncomingLeg,
  FakeMedia,
  FakeRecorder,
  FakeRouting,
  FakeSignaling,
  address,
} from '../calls/testing/fake-ports.ts';
import { EventHub, EventPublisher } from '../events/index.ts';
import { FakeClock, silentLogger } from '../shared/index.ts';
import { openStore } from '../store/index.ts';
import { CallStoreAdapter } from '../telephony/persistence/call-store-adapter.ts';
import { buildServer, ensureProjectAdmin } from './index.ts';

/** An in-process API over the real CallService (fake signalling and media) and a real SQLite store. */
async function startTransfersApi() {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-transfers-api-'));
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 10, 0, 0, 0));
  const store = await openStore({ dataDir: dir, clock });
  const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
  if (!admin) throw new Error('project admin was not created');
  const adapter = new CallStoreAdapter({ store, events: new EventPublisher({ hub: new EventHub() }) });
  const fakes = {
    signaling: new FakeSignaling(),
    media: new FakeMedia(),
    flows: new FakeFlows(),
    routing: new FakeRouting(),
    directory: new FakeDirectory(),
    recorder: new FakeRecorder(),
  };
  fakes.directory.extensions.set('1002', ['sip:1002@127.0.0.1:5999']);
  fakes.directory.extensions.set('1003', ['sip:1003@127.0.0.1:6000']);
  const service = new CallService({ store: adapter, ...fakes, clock });
  const app = await buildServer({
    store,
    clock,
    logger: silentLogger,
    jwtSecret: randomBytes(32),
    sipDomain: 'sip.test',
    mode: 'local',
    rateLimitPerSec: 10_000,
    rateLimitBurst: 10_000,
    calls: { service, repo: adapter },
  });
  const request = async (method: string, url: string, o: { key?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${o.key ?? admin.accessKey}` };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(o.body !== undefined ? { payload: JSON.stringify(o.body) } : {}),
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  };
  const newCustomer = async (name: string): Promise<{ id: string; key: string }> => {
    const c = await request('POST', '/v1.0/customers', { body: { name } });
    const k = await request('POST', '/v1.0/accesskeys', { body: { name: 'k', customer_id: c.body.id } });
    return { id: c.body.id as string, key: k.body.token as string };
  };
  const idle = async () => {
    for (let i = 0; i < 3; i++) {
      await service.whenIdle();
      await service.transfers.whenIdle();
    }
  };
  /** A caller (incoming, answered) talking to an agent call chained to it. */
  const talking = async (customerId: string): Promise<{ caller: Call; agent: Call }> => {
    const caller = await service.acceptIncoming({
      customer_id: customerId,
      source: address('extension', '1001'),
      destination: address('extension', '1002'),
      flow: { actions: [] },
      leg: new FakeIncomingLeg(),
    });
    await service.answer(caller.id);
    const [agent] = await service.createOutgoing({
      customer_id: customerId,
      source: caller.source,
      destinations: [address('extension', '1002')],
      actions: [],
      master_call_id: caller.id,
    });
    assert.ok(agent);
    await idle();
    fakes.signaling.last(agent.id).answer();
    await idle();
    return { caller, agent };
  };
  const close = async () => {
    await idle();
    service.close();
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { fakes, service, request, newCustomer, idle, talking, close };
}

describe('/v1.0/transfers', () => {
  let api: Awaited<ReturnType<typeof startTransfersApi>>;
  let acme: { id: string; key: string };
  let other: { id: string; key: string };
  before(async () => {
    api = await startTransfersApi();
    acme = await api.newCustomer('acme');
    other = await api.newCustomer('other');
  });
  after(() => api.close());

  it('attended: POST creates it (initiated), GET follows it, complete hangs the agent up; another customer sees 404', async () => {
    const { caller, agent } = await api.talking(acme.id);
    const created = await api.request('POST', '/v1.0/transfers', {
      key: acme.key,
      body: { type: 'attended', transferer_call_id: agent.id, transferee: { type: 'extension', target: '1003' } },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.status, 'initiated');
    assert.equal(created.body.transferred_call_id, caller.id);
    assert.equal((await api.request('GET', `/v1.0/transfers/${created.body.id}`, { key: other.key })).status, 404);
    assert.equal(
      (await api.request('POST', `/v1.0/transfers/${created.body.id}/complete`, { key: other.key })).status,
      404,
    );
    const early = await api.request('POST', `/v1.0/transfers/${created.body.id}/complete`, { key: acme.key });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.reason, 'TRANSFER_STATE_INVALID');
    await api.idle();
    api.fakes.signaling.last(created.body.transferee_call_id).answer();
    await api.idle();
    assert.equal(
      (await api.request('GET', `/v1.0/transfers/${created.body.id}`, { key: acme.key })).body.status,
      'answered',
    );
    const done = await api.request('POST', `/v1.0/transfers/${created.body.id}/complete`, { key: acme.key });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'completed');
    await api.idle();
    assert.equal((await api.service.get(agent.id))?.status, 'hangup');
    assert.equal((await api.service.get(caller.id))?.status, 'progressing');
  });

  it('blind: cancel while ringing reconnects; validation and state errors are 400/404/409', async () => {
    const { agent, caller } = await api.talking(acme.id);
    const bad = await api.request('POST', '/v1.0/transfers', {
      key: acme.key,
      body: { type: 'blind', transferer_call_id: agent.id, transferee: { type: 'tel', target: '5551234' } },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].field, 'transferee.target');
    assert.equal(
      (
        await api.request('POST', '/v1.0/transfers', {
          key: acme.key,
          body: { type: 'sideways', transferer_call_id: agent.id, transferee: { type: 'extension', target: '1003' } },
        })
      ).status,
      400,
    );
    const foreign = await api.request('POST', '/v1.0/transfers', {
      key: other.key,
      body: { type: 'blind', transferer_call_id: agent.id, transferee: { type: 'extension', target: '1003' } },
    });
    assert.equal(foreign.status, 404);
    const master = await api.request('POST', '/v1.0/transfers', {
      key: acme.key,
      body: { type: 'blind', transferer_call_id: caller.id, transferee: { type: 'extension', target: '1003' } },
    });
    assert.equal(master.status, 409);
    assert.equal(master.body.error.reason, 'TRANSFER_NOT_SUPPORTED');
    const created = await api.request('POST', '/v1.0/transfers', {
      key: acme.key,
      body: { type: 'blind', transferer_call_id: agent.id, transferee: { type: 'extension', target: '1003' } },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    await api.idle();
    const canceled = await api.request('POST', `/v1.0/transfers/${created.body.id}/cancel`, { key: acme.key });
    assert.equal(canceled.body.status, 'canceled');
    await api.idle();
    assert.equal((await api.service.get(created.body.transferee_call_id))?.status, 'hangup');
    assert.equal((await api.service.get(agent.id))?.status, 'progressing');
    assert.equal(
      (await api.request('POST', `/v1.0/transfers/${created.body.id}/cancel`, { key: acme.key })).status,
      409,
    );
  });
});
