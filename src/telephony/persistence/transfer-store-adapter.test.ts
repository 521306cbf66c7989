import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createdTransferChange, newTransfer, transferTransition } from '../../calls/transfer.ts';
import type { Transfer } from '../../calls/index.ts';
import { EventHub, EventPublisher } from '../../events/index.ts';
import { FakeClock, newId, silentLogger } from '../../shared/index.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { TRANSFER_RESOURCE_TYPE, TransferStoreAdapter } from './transfer-store-adapter.ts';

function sample(customerId: string, nowIso: string): Transfer {
  return newTransfer(
    {
      id: newId(),
      customer_id: customerId,
      type: 'blind',
      transferer_call_id: newId(),
      transferred_call_id: newId(),
      transferee: { type: 'extension', target: '1003', target_name: '', name: '', detail: '' },
      transferee_call_id: newId(),
    },
    nowIso,
  );
}

describe('telephony: transfer store adapter over a real SQLite store (migration 0018)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callbin-transfer-store-'));
  const clock = new FakeClock(Date.UTC(2026, 2, 1, 9, 0));
  let store: Store;
  let customerId: string;

  before(async () => {
    store = await openStore({ dataDir: dir, clock });
    customerId = (
      await store.customers.create({
        name: 'a',
        detail: '',
        email: '',
        webhook_method: 'POST',
        webhook_uri: '',
        webhook_secret: 's',
        webhook_event_types: [],
      })
    ).id;
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('save writes the row and its events in one transaction; get reads the last state back', async () => {
    const adapter = new TransferStoreAdapter({ store, events: new EventPublisher({ hub: new EventHub() }) });
    const t = sample(customerId, new Date(clock.now()).toISOString());
    await adapter.save(createdTransferChange(t));
    clock.advance(1000);
    const failed = transferTransition(t, 'failed', clock.now(), silentLogger, 'caller_hangup');
    assert.ok(failed);
    await adapter.save(failed);
    assert.deepEqual(await adapter.get(t.id), failed.transfer);
    assert.equal((await adapter.get(t.id))?.end_reason, 'caller_hangup');
    assert.equal(await adapter.get(newId()), undefined);
    const events = await store.outbox.listForResource(TRANSFER_RESOURCE_TYPE, t.id);
    assert.deepEqual(
      events.map((e) => [e.seq, e.type]),
      [
        [1, 'transfer_created'],
        [2, 'transfer_updated'],
        [3, 'transfer_failed'],
      ],
    );
    assert.deepEqual(events[2]?.data, failed.transfer);
  });

  it('listUnfinished finds the transfers not ended, of one node when asked', async () => {
    const here = new TransferStoreAdapter({
      store,
      events: new EventPublisher({ hub: new EventHub() }),
      nodeId: 'node-a',
    });
    const there = new TransferStoreAdapter({
      store,
      events: new EventPublisher({ hub: new EventHub() }),
      nodeId: 'node-b',
    });
    const nowIso = new Date(clock.now()).toISOString();
    const running = sample(customerId, nowIso);
    const other = sample(customerId, nowIso);
    const completed = sample(customerId, nowIso);
    await here.save(createdTransferChange(running));
    await there.save(createdTransferChange(other));
    await here.save({ transfer: { ...completed, status: 'completed' }, events: [] });
    const mine = await here.listUnfinished({ nodeId: 'node-a' });
    assert.deepEqual(
      mine.map((t) => t.id),
      [running.id],
    );
    const all = (await here.listUnfinished()).map((t) => t.id);
    assert.ok(all.includes(running.id) && all.includes(other.id) && !all.includes(completed.id));
  });
});
