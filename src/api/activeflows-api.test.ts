import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { EventHub, EventPublisher, SsrfGuard, verifyWebhook } from '../events/index.ts';
import { FlowEngine, MAX_EXECUTED_ACTIONS, TOO_MANY_ACTIONS } from '../flows/index.ts';
import { FakeCallControl, FakeConferences } from '../flows/testing/fake-ports.ts';
import { newId, silentLogger, systemClock } from '../shared/index.ts';
import { openStore } from '../store/index.ts';
import type { OutboxEvent, Store } from '../store/index.ts';
import { ActiveflowStoreAdapter } from '../telephony/persistence/activeflow-store-adapter.ts';
import { FlowHttpAdapter } from '../telephony/flows/flow-http-adapter.ts';
import { FlowLookupAdapter } from '../telephony/flows/flow-lookup-adapter.ts';
import { WebhookReceiver } from '../../test/support/webhook-receiver.ts';
import { buildServer, ensureProjectAdmin } from './index.ts';
import { publicActiveflow } from './routes/activeflows.ts';

interface Res {
  status: number;
  body: any;
}

async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('api: /activeflows over the real engine, store and HTTP adapter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callbin-af-api-'));
  const calls = new FakeCallControl();
  let store: Store;
  let engine: FlowEngine;
  let http: FlowHttpAdapter;
  let app: FastifyInstance;
  let receiver: WebhookReceiver;
  let adminKey = '';
  let a: { id: string; key: string; secret: string };
  let b: { id: string; key: string; secret: string };

  const request = async (method: string, url: string, key: string, body?: unknown): Promise<Res> => {
    const res = await app.inject({
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
  const newCustomer = async (name: string) => {
    const c = await request('POST', '/v1.0/customers', adminKey, { name });
    const k = await request('POST', '/v1.0/accesskeys', adminKey, { name: 'k', customer_id: c.body.id });
    const self = await request('GET', '/v1.0/customer', k.body.token);
    return { id: c.body.id as string, key: k.body.token as string, secret: self.body.webhook_secret as string };
  };
  const ended = (id: string) =>
    eventually(async () => {
      const af = await store.activeflows.get(id);
      return af?.status === 'ended' ? af : undefined;
    }, `activeflow ${id} to end`);
  const eventsOf = (id: string): Promise<OutboxEvent[]> => store.outbox.listForResource('activeflow', id);

  before(async () => {
    store = await openStore({ dataDir: dir, clock: systemClock });
    const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
    assert.ok(admin);
    adminKey = admin.accessKey;
    const hub = new EventHub();
    const records = new ActiveflowStoreAdapter({ store, events: new EventPublisher({ hub }) });
    http = new FlowHttpAdapter({ store, clock: systemClock, guard: new SsrfGuard({ mode: 'local' }) });
    engine = new FlowEngine({
      store: records,
      flows: new FlowLookupAdapter(store),
      calls,
      conferences: new FakeConferences(),
      http,
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
      activeflows: { engine, records },
    });
    receiver = await WebhookReceiver.start();
    a = await newCustomer('A');
    b = await newCustomer('B');
  });
  after(async () => {
    await engine.close();
    await engine.whenIdle();
    await app.close();
    await http.close();
    await receiver.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs [variable_set, condition_variable, webhook_send, talk, hangup] to the end without a call: media skipped, webhook signed, events in seq order', async () => {
    const hangupId = newId();
    const actions = [
      { type: 'variable_set', option: { key: 'greeting', value: 'hi ${name}' } },
      {
        type: 'condition_variable',
        option: {
          condition: '==',
          variable: '${greeting}',
          value_type: 'string',
          value_string: 'hi bob',
          false_target_id: hangupId,
        },
      },
      {
        type: 'webhook_send',
        option: { uri: receiver.url('/flow-hook'), sync: true, data: '{"greeting":"${greeting}"}' },
      },
      { type: 'talk', option: { text: 'hello', language: 'en-US' } },
      { id: hangupId, type: 'hangup' },
    ];
    const created = await request('POST', '/v1.0/activeflows', a.key, { actions, variables: { name: 'bob' } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.customer_id, a.id);
    assert.equal(created.body.reference_type, 'api');
    assert.equal(created.body.variables.name, 'bob');
    const af = await ended(created.body.id);
    assert.deepEqual(
      af.executed_actions.map((x) => [x.type, x.skipped === true]),
      [
        ['variable_set', false],
        ['condition_variable', false],
        ['webhook_send', false],
        ['talk', true],
        ['hangup', true],
      ],
    );
    assert.deepEqual(calls.log, [], 'no media or call operation without a call');
    const hook = receiver.received.find((r) => r.path === '/flow-hook');
    assert.ok(hook);
    assert.deepEqual(hook.json, { greeting: 'hi bob' });
    assert.deepEqual(verifyWebhook({ secret: a.secret, body: hook.body, headers: hook.headers }), {
      ok: true,
      scheme: 'v1',
    });
    const events = await eventsOf(af.id);
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_e, i) => i + 1),
    );
    assert.equal(events[0]?.type, 'activeflow_created');
    assert.ok(events.slice(1).every((e) => e.type === 'activeflow_updated'));
    assert.equal((events.at(-1)?.data as { status: string }).status, 'ended');
    assert.ok(events.every((e) => !(e.data as { error?: unknown }).error));
    const got = await request('GET', `/v1.0/activeflows/${af.id}`, a.key);
    assert.equal(got.status, 200);
    // The stored activeflow, with VoIPBIN's fields it lacks filled in.
    assert.deepEqual(got.body, publicActiveflow(af));
  });

  it('a goto loop without exit ends after 1,000 actions with an error event while the API stays responsive', async () => {
    const loopId = newId();
    const created = await request('POST', '/v1.0/activeflows', a.key, {
      actions: [
        { id: loopId, type: 'variable_set', option: { key: 'x', value: 'y' } },
        { type: 'goto', option: { target_id: loopId, loop_count: 1000 } },
      ],
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const during = await request('GET', `/v1.0/activeflows/${created.body.id}`, a.key);
    assert.equal(during.status, 200);
    assert.equal(during.body.status, 'running');
    assert.equal((await request('GET', '/v1.0/activeflows?page_size=1', a.key)).status, 200);
    const af = await ended(created.body.id);
    assert.equal(af.executed_count, MAX_EXECUTED_ACTIONS);
    assert.equal(af.executed_actions.length, 100, 'the history kept is the latest 100');
    const errors = (await eventsOf(af.id)).flatMap((e) =>
      (e.data as { error?: { code: string } }).error ? [(e.data as { error: { code: string } }).error.code] : [],
    );
    assert.deepEqual(errors, [TOO_MANY_ACTIONS]);
  });

  it('POST /activeflows/{id}/stop ends a waiting activeflow; a second stop changes nothing', async () => {
    const created = await request('POST', '/v1.0/activeflows', a.key, {
      actions: [
        { type: 'sleep', option: { duration: 600_000 } },
        { type: 'webhook_send', option: { uri: receiver.url('/never') } },
      ],
    });
    assert.equal(created.status, 200);
    const id = created.body.id as string;
    await eventually(
      async () => ((await store.activeflows.get(id))?.executed_actions.length === 1 ? true : undefined),
      'the sleep to start',
    );
    const stopped = await request('POST', `/v1.0/activeflows/${id}/stop`, a.key);
    assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
    assert.equal(stopped.body.status, 'ended');
    assert.deepEqual(
      stopped.body.executed_actions.map((x: { type: string }) => x.type),
      ['sleep'],
    );
    assert.equal(engine.listLive().includes(id), false);
    const count = (await eventsOf(id)).length;
    const again = await request('POST', `/v1.0/activeflows/${id}/stop`, a.key);
    assert.equal(again.status, 200);
    assert.equal(again.body.status, 'ended');
    assert.equal((await eventsOf(id)).length, count);
    await engine.whenIdle();
    assert.ok(!receiver.received.some((r) => r.path === '/never'));
  });

  it("another customer's activeflow is 404 ACTIVEFLOW_NOT_FOUND everywhere and absent from its list", async () => {
    const created = await request('POST', '/v1.0/activeflows', a.key, {
      actions: [{ type: 'sleep', option: { duration: 600_000 } }],
    });
    const id = created.body.id as string;
    for (const [method, url] of [
      ['GET', `/v1.0/activeflows/${id}`],
      ['POST', `/v1.0/activeflows/${id}/stop`],
      ['DELETE', `/v1.0/activeflows/${id}`],
      ['GET', `/v1.0/activeflows/${newId()}`],
    ] as const) {
      const res = await request(method, url, b.key);
      assert.equal(res.status, 404, `${method} ${url}`);
      assert.equal(res.body.error.reason, 'ACTIVEFLOW_NOT_FOUND');
    }
    assert.equal((await store.activeflows.get(id))?.status, 'running');
    const listB = await request('GET', '/v1.0/activeflows', b.key);
    assert.ok(!listB.body.result.some((x: { id: string }) => x.id === id));
    const listA = await request('GET', '/v1.0/activeflows?status=running', a.key);
    assert.ok(listA.body.result.some((x: { id: string }) => x.id === id));
    assert.ok(listA.body.result.every((x: { status: string }) => x.status === 'running'));
    await request('POST', `/v1.0/activeflows/${id}/stop`, a.key);
  });

  it('DELETE stops a running activeflow, hides it and emits activeflow_deleted', async () => {
    const created = await request('POST', '/v1.0/activeflows', a.key, {
      actions: [{ type: 'sleep', option: { duration: 600_000 } }],
    });
    const id = created.body.id as string;
    const deleted = await request('DELETE', `/v1.0/activeflows/${id}`, a.key);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal(deleted.body.status, 'ended');
    assert.match(deleted.body.tm_delete, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(engine.listLive().includes(id), false);
    assert.equal((await request('GET', `/v1.0/activeflows/${id}`, a.key)).status, 404);
    assert.equal((await request('DELETE', `/v1.0/activeflows/${id}`, a.key)).status, 404);
    const list = await request('GET', '/v1.0/activeflows', a.key);
    assert.ok(!list.body.result.some((x: { id: string }) => x.id === id));
    const types = (await eventsOf(id)).map((e) => e.type);
    assert.equal(types.at(-1), 'activeflow_deleted');
    assert.equal(types.at(-2), 'activeflow_updated');
  });

  it('runs a stored flow by flow_id; unknown or foreign flows are 404 FLOW_NOT_FOUND', async () => {
    const flow = await request('POST', '/v1.0/flows', a.key, {
      name: 'f',
      actions: [{ type: 'variable_set', option: { key: 'k', value: 'v' } }],
    });
    const created = await request('POST', '/v1.0/activeflows', a.key, { flow_id: flow.body.id });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.flow_id, flow.body.id);
    assert.equal((await ended(created.body.id)).variables.k, 'v');
    for (const [key, flowId] of [
      [b.key, flow.body.id],
      [a.key, newId()],
    ]) {
      const res = await request('POST', '/v1.0/activeflows', key, { flow_id: flowId });
      assert.equal(res.status, 404);
      assert.equal(res.body.error.reason, 'FLOW_NOT_FOUND');
    }
  });

  it('validation errors are 400 with the field named', async () => {
    const cases: [unknown, string, string?][] = [
      [{ flow_id: newId(), actions: [] }, 'INVALID_ARGUMENT', 'flow_id'],
      [{}, 'INVALID_ARGUMENT', 'flow_id'],
      [{ actions: [{ type: 'no_such_action' }] }, 'INVALID_ACTION'],
      [
        { actions: [{ type: 'goto', option: { target_id: newId() } }] },
        'INVALID_ACTION_TARGET',
        'actions[0].option.target_id',
      ],
      [{ actions: [], variables: { 'voipbin.call.id': 'x' } }, 'INVALID_VARIABLES', 'variables.voipbin.call.id'],
      [{ actions: [], variables: { n: 1 } }, 'INVALID_VARIABLES'],
      [{ actions: [], surprise: true }, ''],
      [{ actions: [], webhook_uri: 'ftp://x' }, ''],
      [{ flow_id: 'not-a-uuid' }, 'INVALID_ID'],
    ];
    for (const [body, reason, field] of cases) {
      const res = await request('POST', '/v1.0/activeflows', a.key, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.status, 'INVALID_ARGUMENT');
      if (reason !== '') assert.equal(res.body.error.reason, reason, JSON.stringify(res.body));
      if (field !== undefined) assert.equal(res.body.error.details?.[0]?.field, field, JSON.stringify(res.body));
    }
  });

  it('lists page newest first with a stable token', async () => {
    const c = await newCustomer('pager');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await request('POST', '/v1.0/activeflows', c.key, { actions: [] })).body.id);
    const seen: string[] = [];
    let token = '';
    do {
      const page = await request('GET', `/v1.0/activeflows?page_size=2${token ? `&page_token=${token}` : ''}`, c.key);
      assert.equal(page.status, 200);
      seen.push(...page.body.result.map((x: { id: string }) => x.id));
      token = page.body.next_page_token;
    } while (token !== '');
    assert.deepEqual(new Set(seen), new Set(ids));
    assert.equal(seen.length, ids.length);
  });
});

describe('api: /activeflows without a flow engine', () => {
  it('answers 503 FLOW_ENGINE_UNAVAILABLE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callbin-af-api-none-'));
    const store = await openStore({ dataDir: dir, clock: systemClock });
    try {
      const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
      assert.ok(admin);
      const app = await buildServer({
        store,
        clock: systemClock,
        logger: silentLogger,
        jwtSecret: randomBytes(32),
        sipDomain: 'sip.test',
        mode: 'local',
        rateLimitPerSec: 1000,
        rateLimitBurst: 1000,
      });
      const res = await app.inject({
        method: 'GET',
        url: '/v1.0/activeflows',
        headers: { authorization: `Bearer ${admin.accessKey}` },
      });
      await app.close();
      assert.equal(res.statusCode, 503);
      assert.equal(JSON.parse(res.body).error.reason, 'FLOW_ENGINE_UNAVAILABLE');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
