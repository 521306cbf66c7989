import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newCall } from '../../../calls/index.ts';
import type { Call, CallDirection, CallStatus } from '../../../calls/index.ts';
import { newId } from '../../../shared/index.ts';
import type { CallRecord } from '../../call-repo.ts';
import { isoNow, rejectsWith } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';

function sampleCall(ctx: ContractContext, customerId: string, direction: CallDirection = 'outgoing'): Call {
  const address = { type: 'tel' as const, target: '+821012345678', target_name: '', name: '', detail: '' };
  return newCall(
    {
      id: newId(),
      customer_id: customerId,
      type: 'flow',
      direction,
      source: address,
      destination: address,
      status: direction === 'incoming' ? 'ringing' : 'dialing',
      metadata: { order: 7 },
    },
    ctx.clock.now(),
  );
}

async function put(ctx: ContractContext, ...calls: CallRecord[]): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    for (const call of calls) await ctx.store.calls.upsert(tx, call);
  });
}

function moved(call: Call, status: CallStatus, ctx: ContractContext): Call {
  return { ...call, status, tm_update: isoNow(ctx.clock) };
}

async function listAll(ctx: ContractContext, customerId: string, pageSize: number, filter = {}): Promise<string[]> {
  const ids: string[] = [];
  let pageToken = '';
  do {
    const page = await ctx.store.calls.list({ customerId, pageSize, pageToken, filter });
    ids.push(...page.items.map((c) => c.id));
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return ids;
}

/** The calls table: upsert in transactions, scoped reads, filtered keyset lists, live calls, soft delete. */
export function callsContract(ctx: ContractContext): void {
  it('calls: upsert inside a transaction stores the whole call; a second upsert replaces it', async () => {
    const customerId = newId();
    const call = sampleCall(ctx, customerId);
    await put(ctx, call);
    assert.deepEqual(await ctx.store.calls.get(call.id), call);
    assert.deepEqual(await ctx.store.calls.get(call.id, { customerId }), call);
    assert.equal(await ctx.store.calls.get(call.id, { customerId: newId() }), undefined);
    ctx.clock.advance(5);
    const ringing = { ...moved(call, 'ringing', ctx), tm_ringing: isoNow(ctx.clock), chained_call_ids: [newId()] };
    await put(ctx, ringing);
    assert.deepEqual(await ctx.store.calls.get(call.id), ringing);
  });

  it('calls: a rolled-back transaction writes no row', async () => {
    const call = sampleCall(ctx, newId());
    await assert.rejects(
      ctx.store.transaction(async (tx) => {
        await ctx.store.calls.upsert(tx, call);
        throw new Error('roll back');
      }),
      { message: 'roll back' },
    );
    assert.equal(await ctx.store.calls.get(call.id), undefined);
  });

  it('calls: list is one customer newest first, filtered by status and direction', async () => {
    const customerId = newId();
    const a = sampleCall(ctx, customerId);
    ctx.clock.advance(1);
    const b = sampleCall(ctx, customerId, 'incoming');
    ctx.clock.advance(1);
    const c = sampleCall(ctx, customerId);
    await put(ctx, a, b, c, sampleCall(ctx, newId()));
    await put(ctx, moved(c, 'hangup', ctx));
    assert.deepEqual(await listAll(ctx, customerId, 10), [c.id, b.id, a.id]);
    assert.deepEqual(await listAll(ctx, customerId, 10, { status: 'dialing' }), [a.id]);
    assert.deepEqual(await listAll(ctx, customerId, 10, { direction: 'outgoing' }), [c.id, a.id]);
    assert.deepEqual(await listAll(ctx, customerId, 10, { direction: 'incoming', status: 'ringing' }), [b.id]);
    assert.deepEqual(await ctx.store.calls.list({ customerId: newId(), pageSize: 10 }), {
      items: [],
      nextPageToken: '',
    });
  });

  it('calls: pages are stable while calls are inserted between pages, including same-millisecond ties', async () => {
    const customerId = newId();
    const original: string[] = [];
    for (let i = 0; i < 25; i++) {
      const call = sampleCall(ctx, customerId);
      await put(ctx, call);
      original.push(call.id);
      if (i % 3 === 0) ctx.clock.advance(1);
    }
    const seen: CallRecord[] = [];
    let pageToken = '';
    do {
      const page = await ctx.store.calls.list({ customerId, pageSize: 7, pageToken });
      seen.push(...page.items);
      pageToken = page.nextPageToken;
      await put(ctx, sampleCall(ctx, customerId));
    } while (pageToken !== '');
    const ids = seen.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, 'no call twice');
    for (const id of original) assert.ok(ids.includes(id), `call ${id} listed`);
    for (let i = 1; i < seen.length; i++) {
      const [prev, cur] = [seen[i - 1]!, seen[i]!];
      assert.ok(
        cur.tm_create < prev.tm_create || (cur.tm_create === prev.tm_create && cur.id < prev.id),
        `call ${i} is older than call ${i - 1}`,
      );
    }
  });

  it('calls: bad page size or token is a ValidationError', async () => {
    await rejectsWith(ctx.store.calls.list({ customerId: newId(), pageSize: 0 }), 'INVALID_PAGE_SIZE', 'page_size');
    await rejectsWith(
      ctx.store.calls.list({ customerId: newId(), pageSize: 10, pageToken: 'nope!' }),
      'INVALID_PAGE_TOKEN',
      'page_token',
    );
  });

  it('calls: listLive returns every call not hung up', async () => {
    const live = sampleCall(ctx, newId());
    const ended = sampleCall(ctx, newId());
    await put(ctx, live, moved(ended, 'hangup', ctx));
    const ids = (await ctx.store.calls.listLive()).map((c) => c.id);
    assert.ok(ids.includes(live.id));
    assert.ok(!ids.includes(ended.id));
  });

  it('calls: markDeleted hides the call from get and list, is scoped, and survives later upserts', async () => {
    const customerId = newId();
    const call = moved(sampleCall(ctx, customerId), 'hangup', ctx);
    await put(ctx, call);
    const foreign = await ctx.store.transaction((tx) =>
      ctx.store.calls.markDeleted(tx, call.id, { customerId: newId() }),
    );
    assert.equal(foreign, undefined);
    ctx.clock.advance(10);
    const deleted = await ctx.store.transaction((tx) => ctx.store.calls.markDeleted(tx, call.id, { customerId }));
    assert.deepEqual(deleted, { ...call, tm_delete: isoNow(ctx.clock) });
    assert.equal(await ctx.store.calls.get(call.id), undefined);
    assert.deepEqual(await listAll(ctx, customerId, 10), []);
    assert.equal(await ctx.store.transaction((tx) => ctx.store.calls.markDeleted(tx, call.id)), undefined);
    await put(ctx, { ...call, hangup_reason: 'normal' });
    assert.equal(await ctx.store.calls.get(call.id), undefined);
  });
}
