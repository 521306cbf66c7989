import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newId } from '../../../shared/index.ts';
import type { NewOutboxEvent } from '../../outbox-repo.ts';
import type { NewWebhookDelivery } from '../../delivery-repo.ts';
import { isoNow } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';

function callEvent(customerId: string, callId: string, type = 'call_updated'): NewOutboxEvent {
  return {
    customer_id: customerId,
    resource_type: 'call',
    resource_id: callId,
    type,
    data: { id: callId, status: 'ringing' },
  };
}

function deliveryOf(
  e: { customer_id: string; event_id: string; resource_type: string; resource_id: string; seq: number; type: string },
  uri: string,
): NewWebhookDelivery {
  return {
    customer_id: e.customer_id,
    event_id: e.event_id,
    resource_type: e.resource_type,
    resource_id: e.resource_id,
    seq: e.seq,
    event_type: e.type,
    uri,
    method: 'POST',
  };
}

/** Outbox appends inside transactions and the webhook delivery queue. */
export function eventsContract(ctx: ContractContext): void {
  it('outbox: seq counts up per resource inside transactions; other resources start at 1', async () => {
    const customerId = newId();
    const a = newId();
    const b = newId();
    const first = await ctx.store.transaction((tx) => tx.outbox.append(tx, callEvent(customerId, a, 'call_created')));
    const [second, other] = await ctx.store.transaction(async (tx) => [
      await tx.outbox.append(tx, callEvent(customerId, a)),
      await tx.outbox.append(tx, callEvent(customerId, b)),
    ]);
    assert.deepEqual([first.seq, second!.seq, other!.seq], [1, 2, 1]);
    assert.equal(first.tm_event, isoNow(ctx.clock));
    assert.deepEqual(first.data, { id: a, status: 'ringing' });
    assert.ok(second!.position > first.position);
    assert.deepEqual(await ctx.store.outbox.get(first.event_id), first);
    assert.equal(await ctx.store.outbox.get(first.event_id, { customerId: newId() }), undefined);
    assert.deepEqual(
      (await ctx.store.outbox.listForResource('call', a)).map((e) => [e.seq, e.type]),
      [
        [1, 'call_created'],
        [2, 'call_updated'],
      ],
    );
  });

  it('outbox: concurrent appends to one resource never duplicate a seq', async () => {
    const customerId = newId();
    const callId = newId();
    const n = 24;
    const appended = await Promise.all(
      Array.from({ length: n }, () =>
        ctx.store.transaction((tx) => tx.outbox.append(tx, callEvent(customerId, callId))),
      ),
    );
    assert.deepEqual(
      appended.map((e) => e.seq).sort((x, y) => x - y),
      Array.from({ length: n }, (_, i) => i + 1),
    );
    // Two better-sqlite3 connections in one process would block each other synchronously; SQLite's
    // cross-process case is the same write lock, so the second store is exercised on PostgreSQL.
    if (ctx.dialect === 'sqlite') return;
    const other = await ctx.openAnother();
    try {
      const mixed = await Promise.all([
        ...Array.from({ length: 6 }, () =>
          ctx.store.transaction((tx) => tx.outbox.append(tx, callEvent(customerId, callId))),
        ),
        ...Array.from({ length: 6 }, () =>
          other.transaction((tx) => tx.outbox.append(tx, callEvent(customerId, callId))),
        ),
      ]);
      assert.deepEqual(
        mixed.map((e) => e.seq).sort((x, y) => x - y),
        Array.from({ length: 12 }, (_, i) => n + i + 1),
      );
    } finally {
      await other.close();
    }
  });

  it('outbox: a rolled-back transaction leaves no event, no delivery and no gap in seq; afterCommit runs only on commit', async () => {
    const customerId = newId();
    const callId = newId();
    let committedCallbacks = 0;
    await assert.rejects(
      ctx.store.transaction(async (tx) => {
        const e = await tx.outbox.append(tx, callEvent(customerId, callId));
        await tx.deliveries.enqueue(tx, [deliveryOf(e, 'http://127.0.0.1:1/rolled-back')]);
        tx.afterCommit(() => committedCallbacks++);
        throw new Error('domain write failed');
      }),
      /domain write failed/,
    );
    assert.equal(committedCallbacks, 0);
    assert.deepEqual(await ctx.store.outbox.listForResource('call', callId), []);
    assert.equal((await ctx.store.deliveries.list({ customerId, pageSize: 10 })).items.length, 0);
    const next = await ctx.store.transaction(async (tx) => {
      tx.afterCommit(() => committedCallbacks++);
      return tx.outbox.append(tx, callEvent(customerId, callId));
    });
    assert.equal(next.seq, 1);
    assert.equal(committedCallbacks, 1);
  });

  it('outbox: seq goes on without gap or repeat after a rolled-back append, a reopen and the purge of the resource', async () => {
    const customerId = newId();
    const callId = newId();
    const append = () => ctx.store.transaction((tx) => tx.outbox.append(tx, callEvent(customerId, callId)));
    assert.equal((await append()).seq, 1);
    await assert.rejects(
      ctx.store.transaction(async (tx) => {
        await tx.outbox.append(tx, callEvent(customerId, callId));
        throw new Error('domain write failed');
      }),
      /domain write failed/,
    );
    assert.equal((await append()).seq, 2);
    await ctx.reopen();
    assert.equal((await append()).seq, 3);
    ctx.clock.advance(60_000);
    while ((await ctx.store.outbox.purgeBefore(new Date(ctx.clock.now()).toISOString(), 2)) > 0);
    assert.deepEqual(await ctx.store.outbox.listForResource('call', callId), []);
    await ctx.reopen();
    assert.equal((await append()).seq, 4);
  });

  it('outbox: listAfter returns exactly the later events of one customer within the window', async () => {
    const mine = newId();
    const callId = newId();
    const events = [];
    for (let i = 0; i < 5; i++) {
      events.push(await ctx.store.transaction((tx) => tx.outbox.append(tx, callEvent(mine, callId))));
      await ctx.store.transaction((tx) => tx.outbox.append(tx, callEvent(newId(), newId())));
    }
    const after = await ctx.store.outbox.listAfter({
      customerId: mine,
      afterPosition: events[1]!.position,
      sinceIso: isoNow(ctx.clock),
      limit: 100,
    });
    assert.deepEqual(
      after.map((e) => e.event_id),
      events.slice(2).map((e) => e.event_id),
    );
    const future = new Date(ctx.clock.now() + 1).toISOString();
    assert.deepEqual(
      await ctx.store.outbox.listAfter({ customerId: mine, afterPosition: 0, sinceIso: future, limit: 100 }),
      [],
    );
  });

  it('deliveries: claimDue keeps seq order per resource and target without blocking other resources', async () => {
    const customerId = newId();
    const [a, b] = [newId(), newId()];
    const uri = `http://127.0.0.1:9/${newId()}`;
    const rows = await ctx.store.transaction(async (tx) => {
      const out = [];
      for (const id of [a, a, b, b]) {
        const e = await tx.outbox.append(tx, callEvent(customerId, id));
        out.push(...(await tx.deliveries.enqueue(tx, [deliveryOf(e, uri)])));
      }
      return out;
    });
    assert.ok(rows.every((r) => r.status === 'pending' && r.attempts === 0 && r.next_attempt_at === isoNow(ctx.clock)));
    const mineOf = <T extends { id: string }>(list: T[]) => list.filter((d) => rows.some((r) => r.id === d.id));
    const lease = new Date(ctx.clock.now() + 30_000).toISOString();
    const first = mineOf(
      await ctx.store.deliveries.claimDue({ nowIso: isoNow(ctx.clock), leaseUntilIso: lease, limit: 1000 }),
    );
    assert.deepEqual(first.map((d) => d.id).sort(), [rows[0]!.id, rows[2]!.id].sort());
    assert.ok(first.every((d) => d.status === 'delivering'));

    const retryAt = new Date(ctx.clock.now() + 60_000).toISOString();
    await ctx.store.deliveries.record(rows[0]!.id, {
      status: 'pending',
      status_code: 503,
      error: 'HTTP_503',
      latency_ms: 3,
      next_attempt_at: retryAt,
    });
    await ctx.store.deliveries.record(rows[2]!.id, {
      status: 'delivered',
      status_code: 200,
      error: '',
      latency_ms: 2,
      next_attempt_at: isoNow(ctx.clock),
    });
    const second = mineOf(
      await ctx.store.deliveries.claimDue({ nowIso: isoNow(ctx.clock), leaseUntilIso: lease, limit: 1000 }),
    );
    assert.deepEqual(
      second.map((d) => d.id),
      [rows[3]!.id],
      'b proceeds while a waits for its retry; a seq 2 stays behind seq 1',
    );
    const retried = await ctx.store.deliveries.get(rows[0]!.id);
    assert.deepEqual(
      [retried?.status, retried?.attempts, retried?.last_status_code, retried?.next_attempt_at],
      ['pending', 1, 503, retryAt],
    );

    await ctx.store.deliveries.record(rows[3]!.id, {
      status: 'failed',
      status_code: 400,
      error: 'HTTP_400',
      latency_ms: 1,
      next_attempt_at: isoNow(ctx.clock),
    });
    ctx.clock.advance(60_000);
    const third = mineOf(
      await ctx.store.deliveries.claimDue({ nowIso: isoNow(ctx.clock), leaseUntilIso: lease, limit: 1000 }),
    );
    assert.deepEqual(
      third.map((d) => d.id),
      [rows[0]!.id],
    );
  });

  it('deliveries: an expired lease goes back to pending; two stores never claim the same row', async () => {
    const customerId = newId();
    const uri = `http://127.0.0.1:9/${newId()}`;
    const ids = await ctx.store.transaction(async (tx) => {
      const out: string[] = [];
      for (let i = 0; i < 10; i++) {
        const e = await tx.outbox.append(tx, callEvent(customerId, newId()));
        out.push(...(await tx.deliveries.enqueue(tx, [deliveryOf(e, uri)])).map((d) => d.id));
      }
      return out;
    });
    const other = await ctx.openAnother();
    try {
      const lease = new Date(ctx.clock.now() + 5_000).toISOString();
      const claim = { nowIso: isoNow(ctx.clock), leaseUntilIso: lease, limit: 1000 };
      const [x, y] = await Promise.all([ctx.store.deliveries.claimDue(claim), other.deliveries.claimDue(claim)]);
      const claimed = [...x, ...y].map((d) => d.id).filter((id) => ids.includes(id));
      assert.deepEqual([...claimed].sort(), [...ids].sort());
    } finally {
      await other.close();
    }
    assert.ok((await ctx.store.deliveries.releaseExpiredLeases(isoNow(ctx.clock))) >= 0);
    assert.equal((await ctx.store.deliveries.get(ids[0]!))?.status, 'delivering');
    ctx.clock.advance(5_001);
    assert.ok((await ctx.store.deliveries.releaseExpiredLeases(isoNow(ctx.clock))) >= ids.length);
    assert.equal((await ctx.store.deliveries.get(ids[0]!))?.status, 'pending');
  });

  it('deliveries: list is customer-scoped, filtered and paged; redeliver re-queues only finished ones', async () => {
    const customerId = newId();
    const made = await ctx.store.transaction(async (tx) => {
      const out = [];
      for (const type of ['call_created', 'call_updated', 'call_updated']) {
        const e = await tx.outbox.append(tx, callEvent(customerId, newId(), type));
        out.push(...(await tx.deliveries.enqueue(tx, [deliveryOf(e, 'http://127.0.0.1:9/x')])));
      }
      return out;
    });
    const page1 = await ctx.store.deliveries.list({ customerId, pageSize: 2 });
    assert.equal(page1.items.length, 2);
    const page2 = await ctx.store.deliveries.list({ customerId, pageSize: 2, pageToken: page1.nextPageToken });
    assert.deepEqual([...page1.items, ...page2.items].map((d) => d.id).sort(), made.map((d) => d.id).sort());
    assert.equal(page2.nextPageToken, '');
    const updated = await ctx.store.deliveries.list({
      customerId,
      pageSize: 10,
      filter: { event_type: 'call_updated' },
    });
    assert.equal(updated.items.length, 2);
    assert.equal((await ctx.store.deliveries.list({ customerId: newId(), pageSize: 10 })).items.length, 0);
    assert.equal(await ctx.store.deliveries.get(made[0]!.id, { customerId: newId() }), undefined);

    await assert.rejects(
      ctx.store.deliveries.redeliver(made[0]!.id),
      (err: unknown) => (err as { code?: string }).code === 'DELIVERY_IN_PROGRESS',
    );
    const lease = new Date(ctx.clock.now() + 5_000).toISOString();
    await ctx.store.deliveries.claimDue({ nowIso: isoNow(ctx.clock), leaseUntilIso: lease, limit: 1000 });
    await ctx.store.deliveries.record(made[0]!.id, {
      status: 'failed',
      status_code: 400,
      error: 'HTTP_400',
      latency_ms: 1,
      next_attempt_at: isoNow(ctx.clock),
    });
    const again = await ctx.store.deliveries.redeliver(made[0]!.id, { customerId });
    assert.deepEqual([again?.status, again?.attempts, again?.last_status_code], ['pending', 0, 400]);
    assert.equal(await ctx.store.deliveries.redeliver(made[0]!.id, { customerId: newId() }), undefined);
  });

  it('deliveries: claimDueWithEvents leases each due head with its stored event', async () => {
    const customerId = newId();
    const uri = `http://127.0.0.1:9/${newId()}`;
    const callId = newId();
    const [first] = await ctx.store.transaction(async (tx) => {
      const out = [];
      for (let i = 0; i < 2; i++) {
        const e = await tx.outbox.append(tx, callEvent(customerId, callId));
        out.push(...(await tx.deliveries.enqueue(tx, [deliveryOf(e, uri)])));
      }
      return out;
    });
    const lease = {
      nowIso: isoNow(ctx.clock),
      leaseUntilIso: new Date(ctx.clock.now() + 30_000).toISOString(),
      limit: 1000,
    };
    const claimed = (await ctx.store.deliveries.claimDueWithEvents(lease)).filter((c) => c.delivery.uri === uri);
    assert.deepEqual(
      claimed.map((c) => c.delivery.id),
      [first!.id],
      'seq 2 waits for seq 1',
    );
    const stored = await ctx.store.outbox.get(first!.event_id);
    assert.deepEqual(claimed[0]!.event, {
      type: 'call_updated',
      event_id: first!.event_id,
      seq: 1,
      tm_event: stored!.tm_event,
      data: JSON.stringify(stored!.data),
    });
    assert.deepEqual(
      (await ctx.store.deliveries.claimDueWithEvents(lease)).filter((c) => c.delivery.uri === uri),
      [],
      'a lease is held',
    );
  });

  it('deliveries: settle records outcomes and leases the next delivery of each queue, up to maxSeq', async () => {
    const customerId = newId();
    const uri = `http://127.0.0.1:9/${newId()}`;
    const [a, b] = [newId(), newId()];
    const rows = await ctx.store.transaction(async (tx) => {
      const out = [];
      for (const id of [a, a, a, b, b]) {
        const e = await tx.outbox.append(tx, callEvent(customerId, id));
        out.push(...(await tx.deliveries.enqueue(tx, [deliveryOf(e, uri)])));
      }
      return out;
    });
    const times = () => ({
      nowIso: isoNow(ctx.clock),
      leaseUntilIso: new Date(ctx.clock.now() + 30_000).toISOString(),
    });
    const keyOf = (id: string) => ({ resource_type: 'call', resource_id: id, uri, method: 'POST' });
    const heads = (await ctx.store.deliveries.claimDueWithEvents({ ...times(), limit: 1000 })).filter(
      (c) => c.delivery.uri === uri,
    );
    assert.deepEqual(
      heads.map((c) => c.delivery.seq),
      [1, 1],
    );
    const done = {
      status: 'delivered' as const,
      status_code: 200,
      error: '',
      latency_ms: 2,
      next_attempt_at: isoNow(ctx.clock),
    };
    const retry = {
      status: 'pending' as const,
      status_code: 503,
      error: 'HTTP_503',
      latency_ms: 2,
      next_attempt_at: new Date(ctx.clock.now() + 60_000).toISOString(),
    };
    const next = await ctx.store.deliveries.settle({
      ...times(),
      outcomes: [
        { id: rows[0]!.id, attempt: done },
        { id: rows[3]!.id, attempt: retry },
      ],
      next: [{ key: keyOf(a), maxSeq: 2 }, { key: keyOf(b) }],
    });
    assert.deepEqual(
      next.map((c) => [c.delivery.id, c.event?.seq]),
      [[rows[1]!.id, 2]],
      'a moves on to seq 2 (not 3: beyond maxSeq); b waits for its retry',
    );
    const logged = await ctx.store.deliveries.get(rows[0]!.id);
    assert.deepEqual([logged?.status, logged?.attempts, logged?.last_status_code], ['delivered', 1, 200]);
    const retried = await ctx.store.deliveries.get(rows[3]!.id);
    assert.deepEqual(
      [retried?.status, retried?.attempts, retried?.next_attempt_at],
      ['pending', 1, retry.next_attempt_at],
    );
    const last = await ctx.store.deliveries.settle({
      ...times(),
      outcomes: [{ id: rows[1]!.id, attempt: done }],
      next: [{ key: keyOf(a), afterSeq: 2 }],
    });
    assert.deepEqual(
      last.map((c) => c.delivery.id),
      [rows[2]!.id],
      'a whole look (no maxSeq) after seq 2',
    );
  });
}
