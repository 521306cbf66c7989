import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallService, newCall } from '../../calls/index.ts';
import type { Call, CallChange, CallStorePort } from '../../calls/index.ts';
import {
  FakeDirectory,
  FakeFlows,
  FakeMedia,
  FakeRecorder,
  FakeRouting,
  FakeSignaling,
  address,
  provider,
} from '../../calls/testing/fake-ports.ts';
import { EventHub, EventPublisher } from '../../events/index.ts';
import { FakeClock, newId } from '../../shared/index.ts';
import { openStore } from '../../store/index.ts';
import type { NewOutboxEvent, OutboxEvent, Store, StoreTx } from '../../store/index.ts';
import { CallStoreAdapter } from './call-store-adapter.ts';

const FLOW = '11111111-1111-4111-8111-111111111111';

function sampleCall(customerId: string, nowMs: number): Call {
  return newCall(
    {
      id: newId(),
      customer_id: customerId,
      type: 'flow',
      direction: 'outgoing',
      source: address('tel', '+15550001111'),
      destination: address('tel', '+821012345678'),
      status: 'dialing',
    },
    nowMs,
  );
}

/** An EventPublisher that fails on the n-th publish, to prove the whole save rolls back. */
class FailingPublisher {
  calls = 0;
  constructor(
    readonly inner: EventPublisher,
    readonly failAt: number,
  ) {}
  async publish(tx: StoreTx, event: NewOutboxEvent): Promise<OutboxEvent> {
    this.calls += 1;
    if (this.calls === this.failAt) throw new Error('publish failed');
    return this.inner.publish(tx, event);
  }
}

describe('CallStoreAdapter', () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 10, 0, 0, 0));
  const hub = new EventHub();
  const publisher = new EventPublisher({ hub });
  let dir = '';
  let store: Store;
  let adapter: CallStoreAdapter;
  const heard: OutboxEvent[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-callstore-'));
    store = await openStore({ dataDir: dir, clock });
    adapter = new CallStoreAdapter({ store, events: publisher });
    hub.onEvent((e) => heard.push(e));
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is the calls domain CallStorePort', () => {
    const port: CallStorePort = adapter;
    assert.equal(typeof port.save, 'function');
  });

  it('save writes every row and its events, in order, with the call as data; listeners hear them after commit', async () => {
    const customerId = newId();
    const a = sampleCall(customerId, clock.now());
    const b = sampleCall(customerId, clock.now());
    const ringing: Call = { ...a, status: 'ringing', tm_ringing: a.tm_create };
    const changes: CallChange[] = [
      { call: a, events: [{ type: 'call_created', call: a }] },
      { call: b, events: [{ type: 'call_created', call: b }] },
      {
        call: ringing,
        events: [
          { type: 'call_updated', call: ringing },
          { type: 'call_ringing', call: ringing },
        ],
      },
    ];
    const before = heard.length;
    await adapter.save(changes);
    assert.deepEqual(await adapter.get(a.id), ringing);
    assert.deepEqual(await adapter.get(b.id, { customerId }), b);
    assert.equal(await adapter.get(b.id, { customerId: newId() }), undefined);
    const outbox = await store.outbox.listForResource('call', a.id);
    assert.deepEqual(
      outbox.map((e) => [e.seq, e.type, e.customer_id]),
      [
        [1, 'call_created', customerId],
        [2, 'call_updated', customerId],
        [3, 'call_ringing', customerId],
      ],
    );
    assert.deepEqual(outbox[2]?.data, ringing);
    assert.deepEqual(
      heard.slice(before).map((e) => `${e.type}:${e.resource_id === a.id ? 'a' : 'b'}`),
      ['call_created:a', 'call_created:b', 'call_updated:a', 'call_ringing:a'],
    );
  });

  it('a failure while publishing rolls back every row and event of the save', async () => {
    const failing = new CallStoreAdapter({ store, events: new FailingPublisher(publisher, 2) });
    const call = sampleCall(newId(), clock.now());
    const before = heard.length;
    await assert.rejects(
      failing.save([
        {
          call,
          events: [
            { type: 'call_created', call },
            { type: 'call_updated', call },
          ],
        },
      ]),
      { message: 'publish failed' },
    );
    assert.equal(await adapter.get(call.id), undefined);
    assert.deepEqual(await store.outbox.listForResource('call', call.id), []);
    assert.equal(heard.length, before, 'nothing is announced for a rolled-back save');
  });

  it('delete hides the call and publishes call_deleted with tm_delete; a foreign customer deletes nothing', async () => {
    const customerId = newId();
    const call = { ...sampleCall(customerId, clock.now()), status: 'hangup' as const };
    await adapter.save([{ call, events: [{ type: 'call_created', call }] }]);
    assert.equal(await adapter.delete(call.id, { customerId: newId() }), undefined);
    clock.advance(1000);
    const deleted = await adapter.delete(call.id, { customerId });
    assert.equal(deleted?.tm_delete, new Date(clock.now()).toISOString());
    assert.equal(await adapter.get(call.id), undefined);
    assert.deepEqual((await adapter.list({ customerId, pageSize: 10 })).items, []);
    const outbox = await store.outbox.listForResource('call', call.id);
    assert.deepEqual(
      outbox.map((e) => [e.seq, e.type]),
      [
        [1, 'call_created'],
        [2, 'call_deleted'],
      ],
    );
    assert.deepEqual(outbox[1]?.data, deleted);
  });

  it('drives the real CallService: one call_created then per-change events with seq counting up', async () => {
    const routing = new FakeRouting();
    routing.providers = [provider('p1')];
    routing.routes = [
      {
        id: 'r1',
        customer_id: '00000000-0000-0000-0000-000000000000',
        provider_id: 'p1',
        priority: 1,
        target: 'all',
        tm_create: '2026-01-01T00:00:00.000Z',
      },
    ];
    const flows = new FakeFlows();
    flows.knownFlowIds.add(FLOW);
    const signaling = new FakeSignaling();
    const service = new CallService({
      store: adapter,
      signaling,
      media: new FakeMedia(),
      flows,
      routing,
      directory: new FakeDirectory(),
      recorder: new FakeRecorder(),
      clock,
    });
    const customerId = newId();
    const [call] = await service.createOutgoing({
      customer_id: customerId,
      source: address('tel', '+15550001111'),
      destinations: [address('tel', '+821012345678')],
      flow_id: FLOW,
    });
    assert.ok(call);
    await service.whenIdle();
    signaling.last(call.id).ring();
    signaling.last(call.id).answer();
    await service.whenIdle();
    await service.hangup(call.id);
    await service.whenIdle();
    const types = (await store.outbox.listForResource('call', call.id)).map(
      (e) => `${e.seq}:${e.type}:${(e.data as Call).status}`,
    );
    assert.deepEqual(types, [
      '1:call_created:dialing',
      '2:call_updated:ringing',
      '3:call_ringing:ringing',
      '4:call_updated:progressing',
      '5:call_progressing:progressing',
      '6:call_updated:terminating',
      '7:call_terminating:terminating',
      '8:call_updated:hangup',
      '9:call_hangup:hangup',
    ]);
    assert.equal((await adapter.get(call.id))?.status, 'hangup');
    assert.deepEqual(await adapter.listLive().then((live) => live.filter((c) => c.customer_id === customerId)), []);
    service.close();
  });
});
