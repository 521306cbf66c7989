import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { startCallbin } from '../../src/main.ts';
import type { CallbinHandle } from '../../src/main.ts';
import { FakeClock, newId, silentLogger } from '../../src/shared/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { apiCall, expectStatus, startTestCallbin } from '../support/callbin.ts';
import type { ApiResponse } from '../support/callbin.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const MB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A customer with a webhook and an access key of its own, made with the admin's `api`. */
async function newCustomer(
  admin: (m: string, p: string, b?: unknown) => Promise<ApiResponse>,
  apiUrl: string,
  webhookUri: string,
) {
  const customer = expectStatus(
    await admin('POST', '/v1.0/customers', { name: `c-${newId().slice(0, 8)}`, webhook_uri: webhookUri }),
    200,
  );
  const key = expectStatus(await admin('POST', '/v1.0/accesskeys', { name: 'k', customer_id: customer.id }), 200);
  return {
    id: customer.id as string,
    api: (m: string, p: string, b?: unknown) => apiCall(apiUrl, key.token as string, m, p, b),
  };
}

async function waitEnded(
  api: (m: string, p: string) => Promise<ApiResponse>,
  id: string,
  timeoutMs = 60_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const af = expectStatus(await api('GET', `/v1.0/activeflows/${id}`), 200);
    if (af.status === 'ended') return af;
    assert.ok(
      Date.now() < deadline,
      `activeflow ${id} did not end (${af.executed_count ?? af.executed_actions.length} actions so far)`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Total bytes of the stored event payloads of one resource. */
async function storedEventBytes(store: Store, resourceId: string): Promise<{ count: number; bytes: number }> {
  const rows = await store.db
    .selectFrom('outbox_events')
    .select('data')
    .where('resource_id', '=', resourceId)
    .execute();
  return { count: rows.length, bytes: rows.reduce((n, r) => n + Buffer.byteLength(r.data), 0) };
}

describe('e2e: one request cannot grow the store without bound', () => {
  it('a 1,000-iteration goto loop stores < 2 MB of events and its webhooks stay as small, and the activeflow ends', async (t) => {
    const receiver = await WebhookReceiver.start();
    t.after(() => receiver.close());
    const cb = await startTestCallbin();
    t.after(() => cb.close());
    const customer = await newCustomer(cb.api, cb.handle.apiUrl, receiver.url('/customer'));
    const answerId = newId();
    const created = expectStatus(
      await customer.api('POST', '/v1.0/activeflows', {
        actions: [
          { id: answerId, type: 'answer' },
          { type: 'goto', option: { target_id: answerId, loop_count: 1000 } },
        ],
      }),
      200,
    );
    const id = created.id as string;
    const af = await waitEnded(customer.api, id, 120_000);

    const events = await storedEventBytes(cb.store, id);
    assert.ok(events.count > 1000, `one event per step (${events.count})`);
    assert.ok(events.bytes < 2 * MB, `stored events total ${(events.bytes / MB).toFixed(1)} MB`);

    // The 1,000-action guard ends it; the history kept is a window, the count is whole.
    assert.equal(af.executed_count, 1000);
    assert.ok(af.executed_actions.length <= 100, `GET shows ${af.executed_actions.length} executed actions`);
    const row = await cb.store.db
      .selectFrom('activeflows')
      .select('data')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.ok(Buffer.byteLength(row.data) < 64 * 1024, `the stored activeflow row is ${row.data.length} bytes`);

    // The customer's webhook receives every event, each copy as small as the stored one.
    await receiver.waitFor(
      (r) => r.delivered.some((w) => w.json?.data?.id === id && w.json.data.status === 'ended'),
      120_000,
      'the ended event',
    );
    const bodies = receiver.delivered.filter((w) => w.json?.data?.id === id);
    assert.equal(bodies.length, events.count);
    const bytes = bodies.reduce((n, w) => n + Buffer.byteLength(w.body), 0);
    assert.ok(bytes < 2.5 * MB, `the webhook received ${(bytes / MB).toFixed(1)} MB`);
    const last = bodies.at(-1)?.json.data;
    assert.ok(
      last.executed_actions.length <= 5 && last.executed_count === 1000,
      'an event carries the last few executed actions and the count',
    );
  });

  it('a variable doubled at each step of a loop stops at the variables bound with an action error; its events stay small', async (t) => {
    const cb = await startTestCallbin();
    t.after(() => cb.close());
    const customer = await newCustomer(cb.api, cb.handle.apiUrl, '');
    const setId = newId();
    const created = expectStatus(
      await customer.api('POST', '/v1.0/activeflows', {
        variables: { v: 'x'.repeat(1024) },
        actions: [
          { id: setId, type: 'variable_set', option: { key: 'v', value: '${v}${v}' } },
          { type: 'goto', option: { target_id: setId, loop_count: 12 } },
        ],
      }),
      200,
    );
    const af = await waitEnded(customer.api, created.id as string);
    // 1 KiB doubled five times is 32 KiB; a sixth doubling would pass the 64 KiB of all variables.
    assert.equal(af.variables.v.length, 32 * 1024);
    const errors = af.executed_actions.flatMap((a: { error?: { code: string } }) => (a.error ? [a.error.code] : []));
    assert.ok(
      errors.length > 0 && errors.every((code: string) => code === 'VARIABLES_TOO_LARGE'),
      `errors: ${errors.join(', ')}`,
    );
    const events = await storedEventBytes(cb.store, af.id);
    assert.ok(events.bytes < 2 * MB, `stored events total ${(events.bytes / MB).toFixed(1)} MB`);
  });
});

/** Rows the retention test writes through a store on its own clock. */
async function seed(store: Store, clock: FakeClock, customerId: string, events: number, tag: string): Promise<string> {
  const resourceId = newId();
  for (let i = 0; i < events; i += 100) {
    await store.transaction(async (tx) => {
      for (let j = i; j < Math.min(events, i + 100); j++) {
        const e = await tx.outbox.append(tx, {
          customer_id: customerId,
          resource_type: 'retention_test',
          resource_id: resourceId,
          type: 'retention_test',
          data: { tag, j },
        });
        await tx.deliveries.enqueue(tx, [
          {
            customer_id: customerId,
            event_id: e.event_id,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            seq: e.seq,
            event_type: e.type,
            uri: 'http://127.0.0.1:9/x',
            method: 'POST',
          },
        ]);
      }
    });
    clock.advance(1);
  }
  // Finished long ago: the worker has nothing to send.
  await store.db
    .updateTable('webhook_deliveries')
    .set({ status: 'delivered' })
    .where('resource_id', '=', resourceId)
    .execute();
  for (let i = 0; i < 600; i++) {
    await store.idempotency.put({
      credential_id: `retention-${tag}`,
      key: `k${i}`,
      request_hash: 'h',
      status_code: 200,
      response_body: '{}',
      tm_create: new Date(clock.now()).toISOString(),
    });
  }
  return resourceId;
}

async function countOf(
  store: Store,
  resourceId: string,
  tag: string,
): Promise<{ events: number; deliveries: number; idempotency: number }> {
  const events = await store.db
    .selectFrom('outbox_events')
    .select('position')
    .where('resource_id', '=', resourceId)
    .execute();
  const deliveries = await store.db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('resource_id', '=', resourceId)
    .execute();
  const keys = await store.db
    .selectFrom('idempotency_records')
    .select('key')
    .where('credential_id', '=', `retention-${tag}`)
    .execute();
  return { events: events.length, deliveries: deliveries.length, idempotency: keys.length };
}

async function startOn(t: TestContext, dataDir: string): Promise<CallbinHandle> {
  const config = loadConfig(
    {},
    {
      dataDir,
      httpHost: '127.0.0.1',
      httpPort: 0,
      sipHost: '127.0.0.1',
      sipPort: 0,
      logLevel: 'silent',
      retentionDays: 30,
    },
  );
  const handle = await startCallbin(config, { logger: silentLogger });
  t.after(() => handle.close());
  return handle;
}

describe('e2e: retention', () => {
  it('at start, rows older than retentionDays are purged in the background while activeflows run; newer rows stay', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'callbin-e2e-retention-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    // The first start creates the admin; rows are then written as if 40 and 20 days old.
    const first = await startOn(t, dataDir);
    const adminKey = first.admin?.accessKey;
    assert.ok(adminKey);
    await first.close();
    const past = new FakeClock(Date.now() - 40 * DAY_MS);
    const seeding = await openStore({ dataDir, clock: past });
    const old = await seed(seeding, past, newId(), 3000, 'old');
    past.advance(20 * DAY_MS);
    const recent = await seed(seeding, past, newId(), 300, 'recent');
    await seeding.close();

    const cb = await startOn(t, dataDir);
    const admin = (m: string, p: string, b?: unknown) => apiCall(cb.apiUrl, adminKey, m, p, b);
    const customer = await newCustomer(admin, cb.apiUrl, '');
    // Activeflows started right away run while the first purge round deletes its batches.
    const loopId = newId();
    const started = await Promise.all(
      Array.from({ length: 5 }, () =>
        customer.api('POST', '/v1.0/activeflows', {
          actions: [
            { id: loopId, type: 'variable_set', option: { key: 'x', value: 'y' } },
            { type: 'goto', option: { target_id: loopId, loop_count: 20 } },
          ],
        }),
      ),
    );
    const ended = await Promise.all(started.map((res) => waitEnded(customer.api, expectStatus(res, 200).id as string)));
    for (const af of ended) assert.equal(af.executed_actions.length, 42);
    for (const af of ended)
      assert.ok((await storedEventBytes(cb.store, af.id)).count > 42, 'the new activeflows keep their events');

    const deadline = Date.now() + 60_000;
    while ((await countOf(cb.store, old, 'old')).idempotency > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await countOf(cb.store, old, 'old'), { events: 0, deliveries: 0, idempotency: 0 });
    assert.deepEqual(await countOf(cb.store, recent, 'recent'), { events: 300, deliveries: 300, idempotency: 600 });
  });
});
