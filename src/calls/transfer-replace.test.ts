import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, NIL_UUID, hasCode, silentLogger } from '../shared/index.ts';
import type { Call } from './call.ts';
import { CUSTOMER, acceptOne, answerOutgoing, current } from './testing/call-fixtures.ts';
import type { Harness } from './testing/call-fixtures.ts';
import { address, makeHarness } from './testing/fake-ports.ts';
import { newTransfer, transferTransition } from './transfer.ts';
import type { Transfer, TransferChange, TransferEvent, TransferStorePort } from './transfer.ts';
import { TransferService } from './transfer-service.ts';

/** A's incoming call, answered, with an answered call A dialled chained to it (what `connect` builds). */
async function aDialled(h: Harness, extension: string): Promise<{ own: Call; peer: Call }> {
  const { call: own } = await acceptOne(h);
  await h.service.answer(own.id);
  const [peer] = await h.service.createOutgoing({
    customer_id: CUSTOMER,
    source: own.source,
    destinations: [address('extension', extension)],
    actions: [],
    master_call_id: own.id,
  });
  assert.ok(peer);
  await answerOutgoing(h, peer.id);
  return { own, peer };
}

async function idle(h: Harness): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await h.service.whenIdle();
    await h.service.transfers.whenIdle();
  }
}

function scene() {
  const h = makeHarness();
  h.directory.extensions.set('1002', ['sip:1002@127.0.0.1:5999']);
  h.directory.extensions.set('1003', ['sip:1003@127.0.0.1:6000']);
  const events: TransferEvent[] = [];
  h.service.transfers.onEvent((e) => events.push(e));
  return { h, events };
}

describe('TransferService.replace (REFER with Replaces, RFC 5589 §7)', () => {
  it("bridges B and C, takes them out of A's chains, ends A's two calls, and publishes the transfer", async () => {
    const { h, events } = scene();
    const toB = await aDialled(h, '1002');
    const toC = await aDialled(h, '1003');
    const t = await h.service.transfers.replace({
      customer_id: CUSTOMER,
      transferer_call_id: toB.own.id,
      replaced_call_id: toC.own.id,
    });
    await idle(h);
    assert.equal(t.status, 'completed');
    assert.equal(t.type, 'attended');
    assert.equal(t.transferred_call_id, toB.peer.id);
    assert.equal(t.transferee_call_id, toC.peer.id);
    assert.equal(t.replaced_call_id, toC.own.id);
    assert.deepEqual(t.transferee, toC.peer.destination);
    const legOf = (c: Call) => h.signaling.last(c.id).leg_id;
    assert.ok(h.media.log.includes(`bridge ${legOf(toB.peer)} ${legOf(toC.peer)}`), 'B and C are bridged');
    assert.deepEqual(
      events.filter((e) => e.type !== 'transfer_updated').map((e) => e.type),
      ['transfer_created', 'transfer_answered', 'transfer_completed'],
    );
    for (const own of [toB.own, toC.own]) assert.equal((await current(h, own.id)).status, 'hangup', "A's call ended");
    for (const peer of [toB.peer, toC.peer]) {
      const now = await current(h, peer.id);
      assert.equal(now.status, 'progressing', 'the far end stays up after its master ended');
      assert.equal(now.master_call_id, NIL_UUID);
    }
    // One of the pair hanging up ends the other.
    h.signaling.last(toC.peer.id).remoteBye();
    await idle(h);
    assert.equal((await current(h, toB.peer.id)).status, 'hangup');
  });

  it('refuses, changing nothing: another customer, an early call, the same call twice, a call in a transfer', async () => {
    const { h, events } = scene();
    const toB = await aDialled(h, '1002');
    const toC = await aDialled(h, '1003');
    const attempt = (fields: Partial<{ customer_id: string; transferer_call_id: string; replaced_call_id: string }>) =>
      h.service.transfers.replace({
        customer_id: CUSTOMER,
        transferer_call_id: toB.own.id,
        replaced_call_id: toC.own.id,
        ...fields,
      });
    await assert.rejects(attempt({ customer_id: 'c0000000-0000-4000-8000-000000000009' }), (e) =>
      hasCode(e, 'CALL_NOT_FOUND'),
    );
    await assert.rejects(attempt({ replaced_call_id: toB.own.id }), (e) => hasCode(e, 'TRANSFER_NOT_SUPPORTED'));
    // A third call of A still ringing (an early dialog, RFC 3891 §3).
    const { call: early } = await acceptOne(h);
    await assert.rejects(attempt({ replaced_call_id: early.id }), (e) => hasCode(e, 'CALL_STATE_INVALID'));
    // The far end of A's call to B is in a transfer of its own already.
    await h.service.transfers.create({
      customer_id: CUSTOMER,
      type: 'attended',
      transferer_call_id: toB.peer.id,
      transferee: { type: 'extension', target: '1003' },
    });
    const before = events.length;
    await assert.rejects(attempt({}), (e) => hasCode(e, 'TRANSFER_IN_PROGRESS'));
    await idle(h);
    assert.equal(events.slice(before).filter((e) => e.transfer.replaced_call_id !== NIL_UUID).length, 0);
    for (const c of [toB.own, toC.own, toC.peer]) assert.equal((await current(h, c.id)).status, 'progressing');
  });
});

/** A store of transfers in a map, as the persistence adapter keeps them in rows. */
class MapTransferStore implements TransferStorePort {
  readonly rows = new Map<string, Transfer>();
  readonly saved: TransferChange[] = [];
  async save(change: TransferChange): Promise<void> {
    this.rows.set(change.transfer.id, structuredClone(change.transfer));
    this.saved.push(change);
  }
  async get(id: string): Promise<Transfer | undefined> {
    return this.rows.get(id);
  }
  async listUnfinished(): Promise<Transfer[]> {
    return [...this.rows.values()].filter((t) => ['initiated', 'ringing', 'answered'].includes(t.status));
  }
}

describe('TransferService.reconcile (crash safety)', () => {
  it('ends every transfer a previous process left running: failed, end_reason restart, at its last heartbeat', async () => {
    const h = makeHarness();
    const store = new MapTransferStore();
    const base = {
      customer_id: CUSTOMER,
      type: 'blind' as const,
      transferer_call_id: 'a0000000-0000-4000-8000-000000000001',
      transferred_call_id: 'a0000000-0000-4000-8000-000000000002',
      transferee: address('extension', '1003'),
      transferee_call_id: 'a0000000-0000-4000-8000-000000000003',
    };
    const ringing = transferTransition(
      newTransfer({ ...base, id: 't0000000-0000-4000-8000-000000000001' }, '2030-01-01T00:00:00.000Z'),
      'ringing',
      Date.parse('2030-01-01T00:00:01.000Z'),
      silentLogger,
    );
    assert.ok(ringing);
    await store.save(ringing);
    const done = newTransfer({ ...base, id: 't0000000-0000-4000-8000-000000000002' }, '2030-01-01T00:00:00.000Z');
    await store.save({ transfer: { ...done, status: 'completed' }, events: [] });
    const clock = new FakeClock(Date.parse('2030-01-01T01:00:00.000Z'));
    const service = new TransferService({ calls: h.service, media: h.media, store, clock, logger: silentLogger });
    const heard: TransferEvent[] = [];
    service.onEvent((e) => heard.push(e));
    const ended = await service.reconcile({ lastAliveMs: Date.parse('2030-01-01T00:00:05.000Z') });
    assert.deepEqual(
      ended.map((t) => [t.id, t.status, t.end_reason, t.tm_end]),
      [['t0000000-0000-4000-8000-000000000001', 'failed', 'restart', '2030-01-01T00:00:05.000Z']],
    );
    assert.equal((await store.get('t0000000-0000-4000-8000-000000000002'))?.status, 'completed', 'left alone');
    assert.deepEqual(
      heard.map((e) => e.type),
      ['transfer_updated', 'transfer_failed'],
    );
    assert.deepEqual(await service.reconcile(), [], 'a second start finds nothing left');
  });
});
