import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { buildServer, ensureProjectAdmin } from '../../src/api/index.ts';
import { DeliveryWorker, EventHub, EventPublisher, SsrfGuard, verifyWebhook } from '../../src/events/index.ts';
import { FlowEngine, nilAction } from '../../src/flows/index.ts';
import { FakeCallControl, FakeConferences } from '../../src/flows/testing/fake-ports.ts';
import { NIL_UUID, newId, silentLogger, systemClock } from '../../src/shared/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { ActiveflowStoreAdapter } from '../../src/telephony/persistence/activeflow-store-adapter.ts';
import { FlowHttpAdapter } from '../../src/telephony/flows/flow-http-adapter.ts';
import { FlowLookupAdapter } from '../../src/telephony/flows/flow-lookup-adapter.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import type { ReceivedWebhook } from '../support/webhook-receiver.ts';

/** A listening API with the flow engine wired like main.ts wires it, plus a delivery worker. */
interface Stack {
  store: Store;
  engine: FlowEngine;
  records: ActiveflowStoreAdapter;
  api(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }>;
  newCustomer(webhookUri: string): Promise<{ id: string; key: string; secret: string }>;
}

async function startStack(t: TestContext): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-e2e-activeflows-'));
  const store = await openStore({ dataDir: dir, clock: systemClock });
  const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
  assert.ok(admin);
  const hub = new EventHub();
  const records = new ActiveflowStoreAdapter({ store, events: new EventPublisher({ hub }) });
  const http = new FlowHttpAdapter({ store, clock: systemClock, guard: new SsrfGuard({ mode: 'local' }) });
  const engine = new FlowEngine({
    store: records,
    flows: new FlowLookupAdapter(store),
    calls: new FakeCallControl(),
    conferences: new FakeConferences(),
    http,
    clock: systemClock,
  });
  const app = await buildServer({
    store,
    clock: systemClock,
    logger: silentLogger,
    jwtSecret: randomBytes(32),
    sipDomain: 'sip.test',
    mode: 'local',
    rateLimitPerSec: 100_000,
    rateLimitBurst: 100_000,
    events: hub,
    activeflows: { engine, records },
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const worker = new DeliveryWorker({
    store,
    clock: systemClock,
    logger: silentLogger,
    mode: 'local',
    hub,
    retryBaseMs: 100,
    pollIntervalMs: 100,
    leaseMs: 1000,
  });
  await worker.start();
  t.after(async () => {
    await engine.close();
    await engine.whenIdle();
    await worker.stop();
    await app.close();
    await http.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const api: Stack['api'] = async (method, path, key, body) => {
    const res = await fetch(`${address}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json() };
  };
  return {
    store,
    engine,
    records,
    api,
    newCustomer: async (webhookUri) => {
      const c = await api('POST', '/v1.0/customers', admin.accessKey, { name: 'c', webhook_uri: webhookUri });
      const k = await api('POST', '/v1.0/accesskeys', admin.accessKey, { name: 'k', customer_id: c.body.id });
      const self = await api('GET', '/v1.0/customer', k.body.token);
      return { id: c.body.id, key: k.body.token, secret: self.body.webhook_secret };
    },
  };
}

function eventsAt(receiver: WebhookReceiver, path: string, activeflowId: string): ReceivedWebhook[] {
  return receiver.delivered.filter((r) => r.path === path && r.json?.data?.id === activeflowId);
}

describe('e2e: activeflows over the listening API', () => {
  it('POST /activeflows runs the flow, its webhook_send arrives signed, and its events reach both the customer and the activeflow webhook in seq order', async (t) => {
    const receiver = await WebhookReceiver.start();
    t.after(() => receiver.close());
    const stack = await startStack(t);
    const customer = await stack.newCustomer(receiver.url('/customer-events'));
    const created = await stack.api('POST', '/v1.0/activeflows', customer.key, {
      webhook_uri: receiver.url('/activeflow-events'),
      variables: { order: '42' },
      actions: [
        {
          type: 'webhook_send',
          option: { uri: receiver.url('/action-hook'), sync: true, data: '{"order":"${order}"}' },
        },
        { type: 'play', option: { stream_urls: ['https://example.com/a.wav'] } },
        { type: 'stop' },
        { type: 'webhook_send', option: { uri: receiver.url('/after-stop') } },
      ],
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const id = created.body.id as string;
    await receiver.waitFor(
      (r) => eventsAt(r, '/customer-events', id).some((e) => e.json.data.status === 'ended'),
      15_000,
      'the ended event at the customer webhook',
    );
    await receiver.waitFor(
      (r) => eventsAt(r, '/activeflow-events', id).some((e) => e.json.data.status === 'ended'),
      15_000,
      'the ended event at the activeflow webhook',
    );
    const hook = receiver.delivered.find((r) => r.path === '/action-hook');
    assert.ok(hook);
    assert.deepEqual(hook.json, { order: '42' });
    assert.equal(verifyWebhook({ secret: customer.secret, body: hook.body, headers: hook.headers }).ok, true);
    assert.ok(!receiver.received.some((r) => r.path === '/after-stop'));
    for (const path of ['/customer-events', '/activeflow-events']) {
      const events = eventsAt(receiver, path, id);
      assert.equal(events[0]?.json.type, 'activeflow_created');
      assert.deepEqual(
        events.map((e) => e.json.seq),
        events.map((_e, i) => i + 1),
        `${path} in seq order without gaps`,
      );
      for (const e of events)
        assert.equal(verifyWebhook({ secret: customer.secret, body: e.body, headers: e.headers }).ok, true);
    }
    const got = await stack.api('GET', `/v1.0/activeflows/${id}`, customer.key);
    assert.equal(got.body.status, 'ended');
    assert.deepEqual(
      got.body.executed_actions.map((a: { type: string; skipped?: boolean }) => [a.type, a.skipped === true]),
      [
        ['webhook_send', false],
        ['play', true],
        ['stop', false],
      ],
    );
  });

  it('start-up reconciliation ends an activeflow a previous process left running, with an activeflow_updated event', async (t) => {
    const stack = await startStack(t);
    const customer = await stack.newCustomer('');
    const now = new Date().toISOString();
    const stale = {
      id: newId(),
      customer_id: customer.id,
      flow_id: newId(),
      status: 'running' as const,
      reference_type: 'api' as const,
      reference_id: NIL_UUID,
      current_action: { ...nilAction(), id: newId(), type: 'sleep' },
      executed_actions: [],
      variables: {},
      tm_create: now,
      tm_update: now,
    };
    await stack.records.save(stale, [{ type: 'activeflow_created', data: stale }]);
    const ended = await stack.engine.reconcile();
    assert.deepEqual(
      ended.map((a) => a.id),
      [stale.id],
    );
    const got = await stack.api('GET', `/v1.0/activeflows/${stale.id}`, customer.key);
    assert.equal(got.body.status, 'ended');
    assert.deepEqual(
      (await stack.store.outbox.listForResource('activeflow', stale.id)).map((e) => e.type),
      ['activeflow_created', 'activeflow_updated'],
    );
    assert.deepEqual(await stack.store.activeflows.listRunning(), []);
  });
});
