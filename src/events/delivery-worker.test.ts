import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { WebhookReceiver } from '../../test/support/webhook-receiver.ts';
import { FakeClock, newId, silentLogger } from '../shared/index.ts';
import { openStore } from '../store/index.ts';
import type { Store, WebhookDelivery } from '../store/index.ts';
import { DeliveryWorker } from './delivery-worker.ts';
import type { DeliveryWorkerOptions } from './delivery-worker.ts';
import { EventHub } from './event-hub.ts';
import { EventPublisher } from './event-publisher.ts';
import { verifyWebhook } from './signature.ts';

const SECRET = 'whsec_unit';

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function setup(t: TestContext, opts: Partial<DeliveryWorkerOptions> = {}, start = true) {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-delivery-'));
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const store: Store = await openStore({ dataDir: dir, clock });
  const receiver = await WebhookReceiver.start();
  const customer = await store.customers.create({
    name: 'c',
    detail: '',
    email: '',
    webhook_method: 'POST',
    webhook_uri: receiver.url(),
    webhook_secret: SECRET,
    webhook_event_types: [],
  });
  const hub = new EventHub();
  const publisher = new EventPublisher({ hub });
  const worker = new DeliveryWorker({
    store,
    clock,
    logger: silentLogger,
    mode: 'local',
    hub,
    random: () => 0.5,
    ...opts,
  });
  if (start) await worker.start();
  t.after(async () => {
    await worker.stop();
    await receiver.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const publish = (resourceId: string, type = 'call_updated') =>
    publisher.publishNow(store, {
      customer_id: customer.id,
      resource_type: 'call',
      resource_id: resourceId,
      type,
      data: { id: resourceId, type },
    });
  const deliveries = async (filter: Record<string, string> = {}): Promise<WebhookDelivery[]> =>
    (await store.deliveries.list({ customerId: customer.id, pageSize: 1000, filter })).items;
  const one = async (): Promise<WebhookDelivery> => {
    const [d] = await deliveries();
    assert.ok(d);
    return d;
  };
  return { clock, store, receiver, worker, publish, deliveries, one, customer, dir };
}

describe('DeliveryWorker', () => {
  it('a 2xx delivers the outbox envelope once, signed, and logs status and latency', async (t) => {
    const s = await setup(t);
    const event = await s.publish(newId(), 'call_created');
    await until('delivered', async () => (await s.one()).status === 'delivered');
    assert.equal(s.receiver.received.length, 1);
    const got = s.receiver.received[0]!;
    assert.deepEqual(got.json, {
      type: 'call_created',
      event_id: event.event_id,
      seq: 1,
      tm_event: event.tm_event,
      data: event.data,
    });
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['user-agent'], 'callbin');
    assert.deepEqual(
      verifyWebhook({ secret: SECRET, body: got.body, headers: got.headers, nowSec: s.clock.now() / 1000 }),
      { ok: true, scheme: 'v1' },
    );
    const d = await s.one();
    assert.deepEqual(
      [d.attempts, d.last_status_code, d.last_error, d.event_id, d.uri, d.method],
      [1, 200, '', event.event_id, s.receiver.url(), 'POST'],
    );
  });

  it('503 is retried after 1 s then 2 s (exponential backoff) until a 2xx', async (t) => {
    const s = await setup(t);
    let answers = [503, 503, 200];
    s.receiver.respondWith(() => answers.shift() ?? 200);
    await s.publish(newId());
    await until('first attempt logged', async () => (await s.one()).attempts === 1);
    const first = await s.one();
    assert.deepEqual([first.status, first.last_status_code, first.last_error], ['pending', 503, 'HTTP_503']);
    assert.equal(Date.parse(first.next_attempt_at) - s.clock.now(), 1000);
    s.clock.advance(999);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.receiver.received.length, 1, 'not before the backoff elapsed');
    s.clock.advance(1);
    await until('second attempt', async () => (await s.one()).attempts === 2);
    assert.equal(Date.parse((await s.one()).next_attempt_at) - s.clock.now(), 2000);
    s.clock.advance(2000);
    await until('delivered', async () => (await s.one()).status === 'delivered');
    assert.equal((await s.one()).attempts, 3);
    answers = [];
  });

  it('400 fails for good and is never retried; 408 and 429 are retried', async (t) => {
    const s = await setup(t);
    const codes: Record<string, number> = {};
    s.receiver.respondWith((r) => codes[(r.json as { data: { id: string } }).data.id] ?? 200);
    const [bad, slow, busy] = [newId(), newId(), newId()];
    Object.assign(codes, { [bad]: 400, [slow]: 408, [busy]: 429 });
    for (const id of [bad, slow, busy]) await s.publish(id);
    await until('three attempts', async () => (await s.deliveries()).every((d) => d.attempts === 1));
    const byResource = async () => new Map((await s.deliveries()).map((d) => [d.resource_id, d]));
    let m = await byResource();
    assert.deepEqual([m.get(bad)?.status, m.get(bad)?.last_status_code], ['failed', 400]);
    assert.equal(m.get(slow)?.status, 'pending');
    assert.equal(m.get(busy)?.status, 'pending');
    delete codes[slow];
    delete codes[busy];
    s.clock.advance(1000);
    await until('retries', async () => (await s.deliveries()).filter((d) => d.status === 'delivered').length === 2);
    m = await byResource();
    assert.deepEqual([m.get(bad)?.status, m.get(bad)?.attempts], ['failed', 1]);
    assert.equal(s.receiver.received.filter((r) => (r.json as { data: { id: string } }).data.id === bad).length, 1);
  });

  it('gives up after maxAttempts', async (t) => {
    const s = await setup(t, { maxAttempts: 3 });
    s.receiver.respondWith(() => 500);
    await s.publish(newId());
    for (let attempt = 1; attempt <= 3; attempt++) {
      await until(`attempt ${attempt}`, async () => (await s.one()).attempts === attempt);
      s.clock.advance(2 ** attempt * 1000);
    }
    const d = await s.one();
    assert.deepEqual([d.status, d.attempts, d.last_status_code], ['failed', 3, 500]);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.receiver.received.length, 3);
  });

  it('a receiver slower than timeoutMs counts as TIMEOUT and is retried; a refused connection too', async (t) => {
    const s = await setup(t, { timeoutMs: 5000 });
    s.receiver.respondWith(() => ({ status: 200, sleepMs: 60_000 }));
    await s.publish(newId());
    await until('request arrives at the receiver', () => s.worker.inFlight === 1);
    await new Promise((r) => setTimeout(r, 50));
    s.clock.advance(5000);
    await until('timeout logged', async () => (await s.one()).attempts === 1);
    assert.deepEqual(
      [(await s.one()).status, (await s.one()).last_error, (await s.one()).last_status_code],
      ['pending', 'TIMEOUT', 0],
    );
    await s.receiver.goDown();
    s.clock.advance(1000);
    await until('refused logged', async () => (await s.one()).attempts === 2);
    assert.deepEqual([(await s.one()).status, (await s.one()).last_error], ['pending', 'CONNECTION_ERROR']);
    s.receiver.respondWith(() => 200);
    await s.receiver.comeUp();
    s.clock.advance(2000);
    await until('delivered after the outage', async () => (await s.one()).status === 'delivered');
  });

  it('per resource in seq order: a failing resource A does not hold back resource B', async (t) => {
    const s = await setup(t);
    const [a, b] = [newId(), newId()];
    let aFails = true;
    s.receiver.respondWith((r) => ((r.json as { data: { id: string } }).data.id === a && aFails ? 503 : 200));
    await s.publish(a);
    await s.publish(a);
    for (let i = 0; i < 3; i++) await s.publish(b);
    await until('B delivered', async () =>
      (await s.deliveries({ resource_id: b })).every((d) => d.status === 'delivered'),
    );
    const seqOf = (id: string) =>
      s.receiver.delivered
        .filter((r) => (r.json as { data: { id: string } }).data.id === id)
        .map((r) => (r.json as { seq: number }).seq);
    assert.deepEqual(seqOf(b), [1, 2, 3]);
    const aRows = (await s.deliveries({ resource_id: a })).sort((x, y) => x.seq - y.seq);
    assert.deepEqual(
      aRows.map((d) => [d.seq, d.status, d.attempts]),
      [
        [1, 'pending', 1],
        [2, 'pending', 0],
      ],
      'A seq 2 waits for seq 1',
    );
    aFails = false;
    s.clock.advance(1000);
    await until('A delivered', async () =>
      (await s.deliveries({ resource_id: a })).every((d) => d.status === 'delivered'),
    );
    assert.deepEqual(seqOf(a), [1, 2]);
  });

  it('SSRF: production mode refuses a loopback receiver unless allow-listed', async (t) => {
    const s = await setup(t, { mode: 'production' });
    await s.publish(newId());
    await until('failed', async () => (await s.one()).status === 'failed');
    assert.deepEqual([(await s.one()).last_error, (await s.one()).attempts], ['SSRF_BLOCKED', 1]);
    assert.equal(s.receiver.received.length, 0);

    const allowed = await setup(t, { mode: 'production', ssrfAllow: ['127.0.0.1'] });
    await allowed.publish(newId());
    await until('delivered', async () => (await allowed.one()).status === 'delivered');
  });

  it('a lease held by a crashed worker expires and the delivery is sent again on start', async (t) => {
    const s = await setup(t, { leaseMs: 30_000 }, false);
    await s.publish(newId());
    const now = s.clock.now();
    const [claimed] = await s.store.deliveries.claimDue({
      nowIso: new Date(now).toISOString(),
      leaseUntilIso: new Date(now + 30_000).toISOString(),
      limit: 10,
    });
    assert.equal(claimed?.status, 'delivering');
    await s.worker.start();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.receiver.received.length, 0, 'a live lease is respected');
    s.clock.advance(30_000);
    await new Promise((r) => setTimeout(r, 50));
    s.clock.advance(500);
    await until('delivered after lease expiry', async () => (await s.one()).status === 'delivered');
    assert.equal(s.receiver.received.length, 1);
  });

  it('under call set-up pressure only a trickle leaves (from the poll); the rest follows in seq order when it ends', async (t) => {
    const s = await setup(t, { pollIntervalMs: 500 });
    let pressed = true;
    const listeners = new Set<(on: boolean) => void>();
    s.worker.giveWayTo({
      pressure: () => pressed,
      on: (_event, listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
    const calls = [newId(), newId(), newId(), newId()];
    for (const id of calls) for (let i = 0; i < 3; i++) await s.publish(id);
    // No poll ran (the clock is fake): nothing may start while set-ups need the loop.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(s.receiver.received.length, 0);
    // A poll lets a trickle out: at most 2 in flight at once.
    s.clock.advance(500);
    await until('the trickle', () => s.receiver.received.length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(s.receiver.received.length <= 4, `${s.receiver.received.length} sent under pressure`);
    pressed = false;
    for (const l of listeners) l(false);
    await until('every delivery', () => s.receiver.received.length >= 12);
    for (const id of calls) {
      const seqs = s.receiver.received.filter((r) => r.json.data.id === id).map((r) => r.json.seq);
      assert.deepEqual(seqs, [1, 2, 3]);
    }
  });

  it('stop() lets the request in flight finish, is idempotent, and nothing is sent afterwards', async (t) => {
    const s = await setup(t);
    s.receiver.respondWith(() => ({ status: 200, sleepMs: 100 }));
    await s.publish(newId());
    await until('in flight', () => s.worker.inFlight === 1);
    await Promise.all([s.worker.stop(), s.worker.stop()]);
    assert.equal((await s.one()).status, 'delivered');
    await s.publish(newId());
    s.clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.receiver.received.length, 1);
  });

  it('after a crash, a delivery that was in flight is sent again as soon as the next process starts (at least once)', async (t) => {
    const s = await setup(t, { timeoutMs: 60_000 });
    let answered = 0;
    s.receiver.respondWith(() => (answered++ === 0 ? { status: 200, sleepMs: 1_500 } : 200));
    const event = await s.publish(newId());
    await until('first attempt in flight', () => s.worker.inFlight === 1);
    // The next process on the same data folder; this one's lease dies with it.
    const next = await openStore({ dataDir: s.dir, clock: s.clock });
    const worker = new DeliveryWorker({
      store: next,
      clock: s.clock,
      logger: silentLogger,
      mode: 'local',
      random: () => 0.5,
    });
    try {
      await worker.start();
      await until('sent again', () => s.receiver.received.length === 2);
      assert.deepEqual(
        s.receiver.received.map((r) => (r.json as { event_id: string }).event_id),
        [event.event_id, event.event_id],
      );
      await until('recorded', async () => (await next.deliveries.get((await s.one()).id))?.status === 'delivered');
    } finally {
      await worker.stop();
      await next.close();
    }
  });
});
