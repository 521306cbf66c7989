import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { buildServer, ensureProjectAdmin } from '../../src/api/index.ts';
import { DeliveryWorker, EventHub, EventPublisher, signWebhook, verifyWebhook } from '../../src/events/index.ts';
import type { DeliveryWorkerOptions, EventStreamLimits } from '../../src/events/index.ts';
import { newId, silentLogger, systemClock } from '../../src/shared/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { OutboxEvent, Store } from '../../src/store/index.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import type { ReceivedWebhook } from '../support/webhook-receiver.ts';

const FAST_RETRY: Partial<DeliveryWorkerOptions> = { retryBaseMs: 100, pollIntervalMs: 100, leaseMs: 1000 };

/** A listening API with events, a store in a temp dir, a publisher and (optionally) a delivery worker. */
interface Stack {
  dir: string;
  store: Store;
  app: FastifyInstance;
  baseUrl: string;
  hub: EventHub;
  publisher: EventPublisher;
  adminKey: string;
  api(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }>;
  newCustomer(webhookUri: string): Promise<{ id: string; key: string; secret: string }>;
  startWorker(opts?: Partial<DeliveryWorkerOptions>): Promise<DeliveryWorker>;
  publishCall(customerId: string, callId: string, type?: string, extra?: Record<string, unknown>): Promise<OutboxEvent>;
}

async function startStack(t: TestContext, limits?: Partial<EventStreamLimits>): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-webhooks-'));
  const store = await openStore({ dataDir: dir, clock: systemClock });
  const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
  assert.ok(admin);
  const hub = new EventHub();
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
    ...(limits ? { eventStreamLimits: limits } : {}),
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const workers: DeliveryWorker[] = [];
  t.after(async () => {
    for (const w of workers) await w.stop();
    await app.close();
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
  const publisher = new EventPublisher({ hub });
  return {
    dir,
    store,
    app,
    baseUrl: address,
    hub,
    publisher,
    adminKey: admin.accessKey,
    api,
    newCustomer: async (webhookUri) => {
      const c = await api('POST', '/v1.0/customers', admin.accessKey, { name: 'c', webhook_uri: webhookUri });
      const k = await api('POST', '/v1.0/accesskeys', admin.accessKey, { name: 'k', customer_id: c.body.id });
      const self = await api('GET', '/v1.0/customer', k.body.token);
      return { id: c.body.id, key: k.body.token, secret: self.body.webhook_secret };
    },
    startWorker: async (opts = {}) => {
      const w = new DeliveryWorker({ store, clock: systemClock, logger: silentLogger, mode: 'local', hub, ...opts });
      workers.push(w);
      await w.start();
      return w;
    },
    publishCall: (customerId, callId, type = 'call_updated', extra = {}) =>
      publisher.publishNow(store, {
        customer_id: customerId,
        resource_type: 'call',
        resource_id: callId,
        type,
        data: { id: callId, ...extra },
      }),
  };
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const idOf = (r: Pick<ReceivedWebhook, 'json'>) => (r.json as { data: { id: string } }).data.id;

/** Per resource: the seqs of 2xx-answered requests in arrival order must rise 1, 2, … with no gap (repeats allowed). */
function assertOrderedWithoutGaps(received: ReceivedWebhook[], resourceIds: string[], eventsPerResource: number): void {
  for (const id of resourceIds) {
    const seqs = received.filter((r) => idOf(r) === id).map((r) => (r.json as { seq: number }).seq);
    const distinct = seqs.filter((s, i) => i === 0 || s !== seqs[i - 1]);
    assert.deepEqual(
      distinct,
      Array.from({ length: eventsPerResource }, (_, i) => i + 1),
      `resource ${id}: ${seqs.join(',')}`,
    );
  }
}

async function allOutboxIds(store: Store, customerId: string): Promise<string[]> {
  return (
    await store.outbox.listAfter({ customerId, afterPosition: 0, sinceIso: '1970-01-01T00:00:00.000Z', limit: 100_000 })
  ).map((e) => e.event_id);
}

describe('webhooks end to end', () => {
  it('a burst for 50 calls survives a 20 s receiver outage: every event delivered, in order per call, retries logged, signatures valid', async (t) => {
    const s = await startStack(t);
    const receiver = await WebhookReceiver.start();
    t.after(() => receiver.close());
    const customer = await s.newCustomer(receiver.url());
    await s.startWorker(FAST_RETRY);
    await receiver.goDown();
    const calls = Array.from({ length: 50 }, () => newId());
    await Promise.all(
      calls.map(async (id) => {
        await s.publishCall(customer.id, id, 'call_created');
        for (let i = 0; i < 3; i++) await s.publishCall(customer.id, id);
      }),
    );
    // The receiver stays down for 20 s while the worker keeps retrying with backoff.
    await new Promise((r) => setTimeout(r, 20_000));
    await receiver.comeUp();
    const outbox = await allOutboxIds(s.store, customer.id);
    assert.equal(outbox.length, 200);
    await receiver.waitFor(
      (r) => new Set(r.delivered.map((x) => (x.json as { event_id: string }).event_id)).size === 200,
      30_000,
      'all 200 events',
    );
    assertOrderedWithoutGaps(receiver.delivered, calls, 4);
    for (const r of receiver.delivered.slice(0, 20)) {
      assert.equal(verifyWebhook({ secret: customer.secret, body: r.body, headers: r.headers }).ok, true);
    }
    await until(
      'log settled',
      async () =>
        (await s.api('GET', '/v1.0/webhook_deliveries?status=delivered&page_size=100', customer.key)).body.result
          .length === 100,
    );
    const log = await s.api('GET', '/v1.0/webhook_deliveries?event_type=call_created&page_size=30', customer.key);
    assert.equal(log.status, 200);
    assert.ok(log.body.next_page_token);
    assert.ok(
      log.body.result.every(
        (d: { attempts: number; last_status_code: number }) => d.attempts > 1 && d.last_status_code === 200,
      ),
      'retries are logged',
    );
    assert.equal(log.body.result[0].lease_until, undefined);
  });

  it('400 fails for good, 503 is retried, redeliver sends a failed one again; another customer gets 404', async (t) => {
    const s = await startStack(t);
    const receiver = await WebhookReceiver.start();
    t.after(() => receiver.close());
    const customer = await s.newCustomer(receiver.url());
    const other = await s.newCustomer('');
    await s.startWorker(FAST_RETRY);
    const [bad, flaky] = [newId(), newId()];
    let flakyAnswers = [503, 503];
    let badAnswer = 400;
    receiver.respondWith((r) => (idOf(r) === bad ? badAnswer : (flakyAnswers.shift() ?? 200)));
    await s.publishCall(customer.id, bad, 'call_created');
    await s.publishCall(customer.id, flaky, 'call_created');
    await until(
      'flaky delivered',
      async () =>
        (await s.api('GET', `/v1.0/webhook_deliveries?resource_id=${flaky}`, customer.key)).body.result[0]?.status ===
        'delivered',
    );
    const flakyRow = (await s.api('GET', `/v1.0/webhook_deliveries?resource_id=${flaky}`, customer.key)).body.result[0];
    assert.equal(flakyRow.attempts, 3);
    const failed = await s.api('GET', '/v1.0/webhook_deliveries?status=failed', customer.key);
    assert.equal(failed.body.result.length, 1);
    const row = failed.body.result[0];
    assert.deepEqual(
      [row.resource_id, row.attempts, row.last_status_code, row.event_type],
      [bad, 1, 400, 'call_created'],
    );
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(receiver.received.filter((r) => idOf(r) === bad).length, 1, '400 is not retried');

    assert.equal((await s.api('GET', `/v1.0/webhook_deliveries/${row.id}`, other.key)).status, 404);
    assert.equal((await s.api('POST', `/v1.0/webhook_deliveries/${row.id}/redeliver`, other.key)).status, 404);
    assert.equal((await s.api('GET', `/v1.0/webhook_deliveries/${row.id}`, customer.key)).body.id, row.id);
    badAnswer = 200;
    const again = await s.api('POST', `/v1.0/webhook_deliveries/${row.id}/redeliver`, customer.key);
    assert.deepEqual([again.status, again.body.status, again.body.attempts], [200, 'pending', 0]);
    await until(
      'redelivered',
      async () => (await s.api('GET', `/v1.0/webhook_deliveries/${row.id}`, customer.key)).body.status === 'delivered',
    );
    assert.equal(receiver.delivered.filter((r) => idOf(r) === bad).length, 1);
    flakyAnswers = [];
  });

  it('kill -9 mid-burst and restart: nothing in the outbox is lost (at-least-once)', async (t) => {
    const s = await startStack(t);
    const receiver = await WebhookReceiver.start();
    t.after(() => receiver.close());
    receiver.respondWith(() => ({ status: 200, sleepMs: 15 }));
    const customer = await s.newCustomer(receiver.url());
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    const script = join(s.dir, 'crash-child.mts');
    await writeFile(script, childScript(src));
    const child = spawn(process.execPath, ['--import', 'tsx', script, s.dir, customer.id, '200'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => void child.kill('SIGKILL'));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await receiver.waitFor((r) => r.delivered.length >= 30, 30_000, '30 deliveries from the child');
    child.kill('SIGKILL');
    await exited;
    const outbox = await allOutboxIds(s.store, customer.id);
    const unfinished = (await s.store.deliveries.list({ customerId: customer.id, pageSize: 1000 })).items.filter(
      (d) => d.status !== 'delivered',
    );
    assert.ok(unfinished.length > 0, 'the kill left deliveries to resume');
    await s.startWorker(FAST_RETRY);
    const gotIds = () => new Set(receiver.delivered.map((r) => (r.json as { event_id: string }).event_id));
    await receiver.waitFor(() => outbox.every((id) => gotIds().has(id)), 30_000, 'every outbox event after restart');
  });
});

function runCli(args: string[]): Promise<{ code: number | null; out: string }> {
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

describe('callbin webhook verify', () => {
  it('exits 0 for a body signed with the secret and 1 for a tampered body', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'callbin-verify-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const body = '{"type":"call_created","event_id":"e","seq":1,"tm_event":"2026-01-01T00:00:00.000Z","data":{}}';
    const headers = signWebhook('whsec_cli', body, 1_700_000_000);
    await writeFile(join(dir, 'good.json'), body);
    await writeFile(join(dir, 'bad.json'), body.replace('call_created', 'call_hangup'));
    const args = (file: string) => [
      'webhook',
      'verify',
      '--secret',
      'whsec_cli',
      '--body-file',
      join(dir, file),
      '--timestamp',
      headers['X-Callbin-Timestamp']!,
      '--signature',
      headers['X-Callbin-Signature']!,
      '--now',
      '1700000010',
    ];
    const [good, bad] = await Promise.all([runCli(args('good.json')), runCli(args('bad.json'))]);
    assert.equal(good.code, 0, good.out);
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /BAD_SIGNATURE/);
  });
});

interface StreamClient {
  ws: WebSocket;
  /** Event envelopes received (control messages excluded). */
  events: { type: string; event_id: string; seq: number; data: { id: string } }[];
  closed: Promise<{ code: number; reason: string }>;
  subscribe(topics: string[]): Promise<void>;
}

async function connectStream(s: Stack, key: string, query = ''): Promise<StreamClient> {
  const ws = new WebSocket(`${s.baseUrl.replace('http', 'ws')}/v1.0/ws?accesskey=${encodeURIComponent(key)}${query}`);
  const events: StreamClient['events'] = [];
  const acks: unknown[] = [];
  ws.on('message', (raw) => {
    const msg = JSON.parse(raw.toString()) as { type: string };
    if (msg.type === 'subscribed') acks.push(msg);
    else if (msg.type !== 'unsubscribed' && msg.type !== 'error') events.push(msg as StreamClient['events'][number]);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    events,
    closed,
    subscribe: async (topics) => {
      const before = acks.length;
      ws.send(JSON.stringify({ type: 'subscribe', topics }));
      await until('subscription acknowledged', () => acks.length > before, 5000);
    },
  };
}

describe('event stream (GET /v1.0/ws)', () => {
  it('two customers each see only their own events; a foreign topic closes with 4003', async (t) => {
    const s = await startStack(t);
    const [a, b] = [await s.newCustomer(''), await s.newCustomer('')];
    const [ca, cb] = [await connectStream(s, a.key), await connectStream(s, b.key)];
    t.after(() => {
      ca.ws.terminate();
      cb.ws.terminate();
    });
    await ca.subscribe([`customer_id:${a.id}:call`]);
    await cb.subscribe([`customer_id:${b.id}`]);
    const [callA, callB] = [newId(), newId()];
    await s.publishCall(a.id, callA, 'call_created');
    await s.publishCall(b.id, callB, 'call_created');
    await s.publisher.publishNow(s.store, {
      customer_id: a.id,
      resource_type: 'activeflow',
      resource_id: newId(),
      type: 'activeflow_created',
      data: {},
    });
    await s.publishCall(a.id, callA);
    await until('both received', () => ca.events.length === 2 && cb.events.length === 1);
    assert.deepEqual(
      ca.events.map((e) => [e.type, e.seq, e.data.id]),
      [
        ['call_created', 1, callA],
        ['call_updated', 2, callA],
      ],
    );
    assert.deepEqual(Object.keys(ca.events[0]!).sort(), ['data', 'event_id', 'seq', 'tm_event', 'type']);
    assert.deepEqual(
      cb.events.map((e) => e.data.id),
      [callB],
    );

    cb.ws.send(JSON.stringify({ type: 'subscribe', topics: [`customer_id:${a.id}:call`] }));
    assert.equal((await cb.closed).code, 4003);
  });

  it('reconnecting with last_event_id gets exactly the missed events, then live ones', async (t) => {
    const s = await startStack(t);
    const c = await s.newCustomer('');
    const call = newId();
    const first = await connectStream(s, c.key);
    await first.subscribe([`customer_id:${c.id}:call:${call}`]);
    for (let i = 0; i < 2; i++) await s.publishCall(c.id, call);
    await until('two events', () => first.events.length === 2);
    first.ws.close();
    await first.closed;
    const missed = [];
    for (let i = 0; i < 3; i++) missed.push(await s.publishCall(c.id, call));
    await s.publishCall(c.id, newId());
    const again = await connectStream(s, c.key, `&last_event_id=${first.events[1]!.event_id}`);
    t.after(() => again.ws.terminate());
    await again.subscribe([`customer_id:${c.id}:call:${call}`]);
    await until('replay', () => again.events.length === 3);
    assert.deepEqual(
      again.events.map((e) => e.event_id),
      missed.map((e) => e.event_id),
    );
    const live = await s.publishCall(c.id, call);
    await until('live event', () => again.events.length === 4);
    assert.equal(again.events[3]!.event_id, live.event_id);
    assert.deepEqual(
      again.events.map((e) => e.seq),
      [3, 4, 5, 6],
    );
  });

  it('a consumer that stops reading is closed with 4008 instead of buffering without bound', async (t) => {
    const s = await startStack(t, { maxBufferedBytes: 64 * 1024 });
    const c = await s.newCustomer('');
    const client = await connectStream(s, c.key);
    t.after(() => client.ws.terminate());
    await client.subscribe([`customer_id:${c.id}`]);
    // ws exposes no public pause; stopping the TCP reads makes the server's send buffer fill up.
    const socket = (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const payload = 'x'.repeat(8 * 1024);
    const call = newId();
    const total = 2000;
    for (let i = 0; i < total; i++) await s.publishCall(c.id, call, 'call_updated', { payload });
    socket.resume();
    const { code, reason } = await client.closed;
    assert.equal(code, 4008);
    assert.match(reason, /slow consumer/);
    assert.ok(client.events.length < total, `the server stopped sending after ${client.events.length} events`);
  });
});

function childScript(src: string): string {
  const url = (p: string) => pathToFileURL(join(src, p)).href;
  return `
import { openStore } from '${url('store/index.ts')}';
import { DeliveryWorker, EventHub, EventPublisher } from '${url('events/index.ts')}';
import { newId, silentLogger, systemClock } from '${url('shared/index.ts')}';
const [dataDir, customerId, count] = process.argv.slice(2);
// The parent's store shares the file on purpose (the child is the process that crashes): no lock.
const store = await openStore({ dataDir, clock: systemClock, lock: false });
const hub = new EventHub();
const worker = new DeliveryWorker({ store, clock: systemClock, logger: silentLogger, mode: 'local', hub, leaseMs: 1000, pollIntervalMs: 100, retryBaseMs: 100 });
await worker.start();
const publisher = new EventPublisher({ hub });
const calls = Array.from({ length: 50 }, () => newId());
for (let i = 0; i < Number(count); i++) {
  const id = calls[i % calls.length];
  await publisher.publishNow(store, { customer_id: customerId, resource_type: 'call', resource_id: id, type: 'call_updated', data: { id } });
}
setInterval(() => {}, 1000);
`;
}
