import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventHub, EventPublisher } from '../../events/index.ts';
import { activeflowEvent, nilAction } from '../../flows/index.ts';
import type { Activeflow, FlowAction } from '../../flows/index.ts';
import { FakeClock, NIL_UUID, newId } from '../../shared/index.ts';
import { openStore } from '../../store/index.ts';
import type { NewOutboxEvent, Store, StoreTx } from '../../store/index.ts';
import { ACTIVEFLOW_DELETED, ACTIVEFLOW_RESOURCE_TYPE, ActiveflowStoreAdapter } from './activeflow-store-adapter.ts';
import { FlowLookupAdapter } from '../flows/flow-lookup-adapter.ts';

function sample(customerId: string, clock: FakeClock): Activeflow {
  const now = new Date(clock.now()).toISOString();
  return {
    id: newId(),
    customer_id: customerId,
    flow_id: newId(),
    status: 'running',
    reference_type: 'api',
    reference_id: NIL_UUID,
    current_action: nilAction(),
    executed_actions: [],
    variables: { a: '1' },
    tm_create: now,
    tm_update: now,
  };
}

describe('telephony: activeflow store and flow lookup adapters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callbin-af-store-'));
  const clock = new FakeClock(Date.UTC(2026, 2, 1, 9, 0));
  let store: Store;
  let adapter: ActiveflowStoreAdapter;
  let customerId: string;

  before(async () => {
    store = await openStore({ dataDir: dir, clock });
    adapter = new ActiveflowStoreAdapter({ store, events: new EventPublisher({ hub: new EventHub() }) });
    const customer = (name: string) =>
      store.customers.create({
        name,
        detail: '',
        email: '',
        webhook_method: 'POST',
        webhook_uri: '',
        webhook_secret: 's',
        webhook_event_types: [],
      });
    customerId = (await customer('a')).id;
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('save writes the row and its events (the error included) to the outbox in seq order', async () => {
    const af = sample(customerId, clock);
    await adapter.save(af, [activeflowEvent('activeflow_created', af)]);
    clock.advance(10);
    const error = { action_id: newId(), type: 'fetch', code: 'FETCH_TIMEOUT', message: 'no answer' };
    const next: Activeflow = { ...af, status: 'ended', tm_update: new Date(clock.now()).toISOString() };
    await adapter.save(next, [
      activeflowEvent('activeflow_updated', next, error),
      activeflowEvent('activeflow_updated', next),
    ]);
    assert.deepEqual(await adapter.get(af.id), next);
    assert.equal(await adapter.get(af.id, { customerId: newId() }), undefined);
    const events = await store.outbox.listForResource(ACTIVEFLOW_RESOURCE_TYPE, af.id);
    assert.deepEqual(
      events.map((e) => [e.seq, e.type, e.customer_id]),
      [
        [1, 'activeflow_created', customerId],
        [2, 'activeflow_updated', customerId],
        [3, 'activeflow_updated', customerId],
      ],
    );
    assert.deepEqual(events[1]?.data, { ...next, error });
    assert.equal((events[2]?.data as { error?: unknown }).error, undefined);
    assert.ok(!(await adapter.listRunning()).some((a) => a.id === af.id));
  });

  it('a failing event publish rolls the row back with it (one transaction)', async () => {
    const failing = new ActiveflowStoreAdapter({
      store,
      events: {
        publish: async (_tx: StoreTx, _event: NewOutboxEvent) => {
          throw new Error('publish failed');
        },
      },
    });
    const af = sample(customerId, clock);
    await assert.rejects(failing.save(af, [activeflowEvent('activeflow_created', af)]), { message: 'publish failed' });
    assert.equal(await adapter.get(af.id), undefined);
  });

  it('list is scoped and filtered; delete hides the activeflow and emits activeflow_deleted', async () => {
    const af = sample(customerId, clock);
    await adapter.save(af, [activeflowEvent('activeflow_created', af)]);
    assert.ok((await adapter.listRunning()).some((a) => a.id === af.id));
    const page = await adapter.list({ customerId, pageSize: 100, filter: { status: 'running' } });
    assert.ok(page.items.some((a) => a.id === af.id));
    assert.equal(await adapter.delete(af.id, { customerId: newId() }), undefined);
    const deleted = await adapter.delete(af.id, { customerId });
    assert.equal(deleted?.tm_delete, new Date(clock.now()).toISOString());
    assert.equal(await adapter.get(af.id), undefined);
    const events = await store.outbox.listForResource(ACTIVEFLOW_RESOURCE_TYPE, af.id);
    assert.deepEqual(
      events.map((e) => e.type),
      ['activeflow_created', ACTIVEFLOW_DELETED],
    );
    assert.deepEqual(events[1]?.data, deleted);
  });

  it('flow lookup returns a customer its own live flow only', async () => {
    const lookup = new FlowLookupAdapter(store);
    const actions: FlowAction[] = [{ id: newId(), next_id: NIL_UUID, type: 'hangup', option: {} }];
    const flow = await store.flows.create({ customer_id: customerId, name: 'f', detail: '', actions });
    assert.deepEqual(await lookup.getFlow(customerId, flow.id), { id: flow.id, customer_id: customerId, actions });
    assert.equal(await lookup.getFlow(newId(), flow.id), undefined);
    assert.equal(await lookup.getFlow(customerId, newId()), undefined);
    // A frozen customer starts no flow (docs/api.md "Freezing a customer"); recovered, it does again.
    await store.customers.update(customerId, { status: 'frozen', tm_deletion_scheduled: '2026-01-01T00:00:00.000Z' });
    assert.equal(await lookup.getFlow(customerId, flow.id), undefined);
    await store.customers.update(customerId, { status: 'active', tm_deletion_scheduled: '' });
    assert.equal((await lookup.getFlow(customerId, flow.id))?.id, flow.id);
    await store.flows.delete(flow.id);
    assert.equal(await lookup.getFlow(customerId, flow.id), undefined);
  });
});
