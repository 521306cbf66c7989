import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { newGroupcall } from '../../calls/index.ts';
import type { Groupcall, GroupcallStorePort } from '../../calls/index.ts';
import { address } from '../../calls/testing/fake-ports.ts';
import { EventHub, EventPublisher } from '../../events/index.ts';
import { FakeClock, isoTime, newId } from '../../shared/index.ts';
import { openStore } from '../../store/index.ts';
import type { OutboxEvent, Store } from '../../store/index.ts';
import { GroupcallStoreAdapter } from './groupcall-store-adapter.ts';

const NODE = 'node-a';

function sample(customerId: string, nowMs: number): Groupcall {
  return newGroupcall(
    {
      id: newId(),
      customer_id: customerId,
      flow_id: newId(),
      source: address('tel', '+15550001111'),
      destinations: [address('sip', 'a@example.net'), address('sip', 'b@example.net')],
      ring_method: 'ring_all',
      answer_method: 'hangup_others',
    },
    nowMs,
  );
}

/** The same cases on SQLite and on a fresh PostgreSQL database. */
function adapterCases(open: () => Promise<{ store: Store; close(): Promise<void> }>): void {
  const clock = new FakeClock(Date.UTC(2026, 2, 1, 10, 0, 0, 0));
  const hub = new EventHub();
  const publisher = new EventPublisher({ hub });
  const heard: OutboxEvent[] = [];
  let store: Store;
  let close: () => Promise<void>;
  let adapter: GroupcallStoreAdapter;

  before(async () => {
    ({ store, close } = await open());
    adapter = new GroupcallStoreAdapter({ store, events: publisher, nodeId: NODE, clock });
    hub.onEvent((e) => heard.push(e));
  });
  after(async () => close());

  it('save writes the row and its events in order; the events carry the groupcall', async () => {
    const port: GroupcallStorePort = adapter;
    const customerId = newId();
    const gc = sample(customerId, clock.now());
    await port.save({ groupcall: gc, events: [{ type: 'groupcall_created', groupcall: gc }] });
    const answered = { ...gc, answer_call_id: newId(), tm_update: isoTime(clock.now() + 5) };
    await port.save({ groupcall: answered, events: [{ type: 'groupcall_progressing', groupcall: answered }] });
    assert.deepEqual(await port.get(gc.id), answered);
    assert.deepEqual(await adapter.get(gc.id, { customerId }), answered);
    assert.equal(await adapter.get(gc.id, { customerId: newId() }), undefined, "another customer's is hidden");
    const outbox = await store.outbox.listForResource('groupcall', gc.id);
    assert.deepEqual(
      outbox.map((e) => [e.seq, e.type, e.customer_id]),
      [
        [1, 'groupcall_created', customerId],
        [2, 'groupcall_progressing', customerId],
      ],
    );
    assert.deepEqual(outbox[1]?.data, answered);
    assert.deepEqual(
      heard.filter((e) => e.resource_id === gc.id).map((e) => e.type),
      ['groupcall_created', 'groupcall_progressing'],
    );
  });

  it('lists one customer newest first by pages; a deleted one is hidden and publishes groupcall_deleted', async () => {
    const customerId = newId();
    const made: Groupcall[] = [];
    for (let i = 0; i < 5; i++) {
      const gc = sample(customerId, clock.now() + i);
      made.push(gc);
      await adapter.save({ groupcall: gc, events: [] });
    }
    await adapter.save({ groupcall: sample(newId(), clock.now()), events: [] });
    const first = await adapter.list({ customerId, pageSize: 2 });
    assert.deepEqual(
      first.items.map((g) => g.id),
      [made[4]?.id, made[3]?.id],
    );
    const rest = await adapter.list({ customerId, pageSize: 10, pageToken: first.nextPageToken });
    assert.deepEqual(
      rest.items.map((g) => g.id),
      [made[2]?.id, made[1]?.id, made[0]?.id],
    );
    assert.equal(rest.nextPageToken, '');
    await assert.rejects(adapter.list({ customerId, pageSize: 2, pageToken: 'not a token' }), {
      code: 'INVALID_PAGE_TOKEN',
    });

    const target = made[2] as Groupcall;
    assert.equal(await adapter.delete(target.id, { customerId: newId() }), undefined);
    const deleted = await adapter.delete(target.id, { customerId });
    assert.equal(deleted?.id, target.id);
    assert.equal(deleted?.tm_delete, isoTime(clock.now()));
    assert.equal(await adapter.get(target.id), undefined);
    assert.equal((await adapter.list({ customerId, pageSize: 10 })).items.length, 4);
    const events = await store.outbox.listForResource('groupcall', target.id);
    assert.equal(events.at(-1)?.type, 'groupcall_deleted');
    assert.equal(await adapter.delete(target.id, { customerId }), undefined, 'deleted once');

    // A deleted groupcall still ending is saved again: it stays deleted.
    await adapter.save({ groupcall: { ...target, status: 'hangup' }, events: [] });
    assert.equal(await adapter.get(target.id), undefined);
  });

  it('listLive: groupcalls not hung up, deleted ones too, by node', async () => {
    const customerId = newId();
    const live = sample(customerId, clock.now());
    const over = { ...sample(customerId, clock.now()), status: 'hangup' as const };
    const hidden = sample(customerId, clock.now());
    for (const gc of [live, over, hidden]) await adapter.save({ groupcall: gc, events: [] });
    await adapter.delete(hidden.id, { customerId });
    const ids = (await adapter.listLive({ nodeId: NODE })).map((g) => g.id);
    assert.ok(ids.includes(live.id) && ids.includes(hidden.id));
    assert.ok(!ids.includes(over.id));
    assert.deepEqual(await adapter.listLive({ nodeId: 'node-b' }), []);
  });
}

describe('GroupcallStoreAdapter (sqlite)', () => {
  adapterCases(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callbin-groupcalls-'));
    const store = await openStore({ dataDir: dir, clock: new FakeClock(0) });
    return {
      store,
      close: async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
});

const adminUrl = process.env.CALLBIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('GroupcallStoreAdapter (postgres)', () => {
  adapterCases(async () => {
    const database = `callbin_gc_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
    await admin.connect();
    await admin.query(`create database ${database}`);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    const store = await openStore({ dataDir: tmpdir(), databaseUrl: url.toString(), clock: new FakeClock(0) });
    return {
      store,
      close: async () => {
        await store.close();
        await admin.query(`drop database if exists ${database} with (force)`);
        await admin.end();
      },
    };
  });
});
