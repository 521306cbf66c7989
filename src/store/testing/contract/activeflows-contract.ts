import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Activeflow, ActiveflowStatus } from '../../../flows/index.ts';
import { NIL_UUID, newId } from '../../../shared/index.ts';
import type { ActiveflowRecord } from '../../activeflow-repo.ts';
import { isoNow, rejectsWith } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';

function sampleActiveflow(ctx: ContractContext, customerId: string, referenceId = NIL_UUID): Activeflow {
  const now = isoNow(ctx.clock);
  const id = newId();
  return {
    id,
    customer_id: customerId,
    flow_id: newId(),
    status: 'running',
    reference_type: referenceId === NIL_UUID ? 'api' : 'call',
    reference_id: referenceId,
    current_action: { id: NIL_UUID, next_id: NIL_UUID, type: '', option: {} },
    executed_actions: [],
    variables: { 'voipbin.activeflow.id': id, greeting: 'héllo ${name}' },
    tm_create: now,
    tm_update: now,
  };
}

async function put(ctx: ContractContext, ...activeflows: ActiveflowRecord[]): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    for (const af of activeflows) await ctx.store.activeflows.upsert(tx, af);
  });
}

function moved(af: Activeflow, status: ActiveflowStatus, ctx: ContractContext): Activeflow {
  return { ...af, status, tm_update: isoNow(ctx.clock) };
}

async function listAll(ctx: ContractContext, customerId: string, pageSize: number, filter = {}): Promise<string[]> {
  const ids: string[] = [];
  let pageToken = '';
  do {
    const page = await ctx.store.activeflows.list({ customerId, pageSize, pageToken, filter });
    ids.push(...page.items.map((a) => a.id));
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return ids;
}

/** The activeflows table: upsert in transactions, scoped reads, filtered keyset lists, running ones, soft delete. */
export function activeflowsContract(ctx: ContractContext): void {
  it('activeflows: upsert inside a transaction stores the whole activeflow; a second upsert replaces it', async () => {
    const customerId = newId();
    const af = sampleActiveflow(ctx, customerId);
    await put(ctx, af);
    assert.deepEqual(await ctx.store.activeflows.get(af.id), af);
    assert.deepEqual(await ctx.store.activeflows.get(af.id, { customerId }), af);
    assert.equal(await ctx.store.activeflows.get(af.id, { customerId: newId() }), undefined);
    ctx.clock.advance(5);
    const action = { id: newId(), next_id: NIL_UUID, type: 'variable_set', option: { key: 'k', value: 'v' } };
    const next: Activeflow = {
      ...moved(af, 'running', ctx),
      current_action: action,
      executed_actions: [
        {
          id: action.id,
          type: action.type,
          tm_execute: isoNow(ctx.clock),
          error: { action_id: action.id, type: action.type, code: 'X', message: 'm' },
        },
      ],
      variables: { ...af.variables, k: 'v' },
      webhook_uri: 'https://example.com/hook',
    };
    await put(ctx, next);
    assert.deepEqual(await ctx.store.activeflows.get(af.id), next);
  });

  it('activeflows: a rolled-back transaction writes no row', async () => {
    const af = sampleActiveflow(ctx, newId());
    await assert.rejects(
      ctx.store.transaction(async (tx) => {
        await ctx.store.activeflows.upsert(tx, af);
        throw new Error('roll back');
      }),
      { message: 'roll back' },
    );
    assert.equal(await ctx.store.activeflows.get(af.id), undefined);
  });

  it('activeflows: list is one customer newest first, filtered by status and reference_id', async () => {
    const customerId = newId();
    const callId = newId();
    const a = sampleActiveflow(ctx, customerId);
    ctx.clock.advance(1);
    const b = sampleActiveflow(ctx, customerId, callId);
    ctx.clock.advance(1);
    const c = sampleActiveflow(ctx, customerId);
    await put(ctx, a, b, c, sampleActiveflow(ctx, newId()));
    await put(ctx, moved(c, 'ended', ctx));
    assert.deepEqual(await listAll(ctx, customerId, 10), [c.id, b.id, a.id]);
    assert.deepEqual(await listAll(ctx, customerId, 10, { status: 'running' }), [b.id, a.id]);
    assert.deepEqual(await listAll(ctx, customerId, 10, { status: 'ended' }), [c.id]);
    assert.deepEqual(await listAll(ctx, customerId, 10, { reference_id: callId }), [b.id]);
    assert.deepEqual(await listAll(ctx, customerId, 2), [c.id, b.id, a.id]);
    assert.deepEqual(await ctx.store.activeflows.list({ customerId: newId(), pageSize: 10 }), {
      items: [],
      nextPageToken: '',
    });
  });

  it('activeflows: pages are stable while activeflows are inserted between pages, including same-millisecond ties', async () => {
    const customerId = newId();
    const original: string[] = [];
    for (let i = 0; i < 20; i++) {
      const af = sampleActiveflow(ctx, customerId);
      await put(ctx, af);
      original.push(af.id);
      if (i % 3 === 0) ctx.clock.advance(1);
    }
    const seen: ActiveflowRecord[] = [];
    let pageToken = '';
    do {
      const page = await ctx.store.activeflows.list({ customerId, pageSize: 6, pageToken });
      seen.push(...page.items);
      pageToken = page.nextPageToken;
      await put(ctx, sampleActiveflow(ctx, customerId));
    } while (pageToken !== '');
    const ids = seen.map((a) => a.id);
    assert.equal(new Set(ids).size, ids.length, 'no activeflow twice');
    for (const id of original) assert.ok(ids.includes(id), `activeflow ${id} listed`);
    for (let i = 1; i < seen.length; i++) {
      const [prev, cur] = [seen[i - 1]!, seen[i]!];
      assert.ok(
        cur.tm_create < prev.tm_create || (cur.tm_create === prev.tm_create && cur.id < prev.id),
        `activeflow ${i} is older than ${i - 1}`,
      );
    }
  });

  it('activeflows: bad page size or token is a ValidationError', async () => {
    await rejectsWith(
      ctx.store.activeflows.list({ customerId: newId(), pageSize: 0 }),
      'INVALID_PAGE_SIZE',
      'page_size',
    );
    await rejectsWith(
      ctx.store.activeflows.list({ customerId: newId(), pageSize: 10, pageToken: 'nope!' }),
      'INVALID_PAGE_TOKEN',
      'page_token',
    );
  });

  it('activeflows: listRunning returns every running activeflow and no ended one', async () => {
    const running = sampleActiveflow(ctx, newId());
    const ended = sampleActiveflow(ctx, newId());
    await put(ctx, running, moved(ended, 'ended', ctx));
    const ids = (await ctx.store.activeflows.listRunning()).map((a) => a.id);
    assert.ok(ids.includes(running.id));
    assert.ok(!ids.includes(ended.id));
    await put(ctx, moved(running, 'ended', ctx));
    assert.ok(!(await ctx.store.activeflows.listRunning()).some((a) => a.id === running.id));
  });

  it('activeflows: markDeleted hides the activeflow from get and list, is scoped, and survives later upserts', async () => {
    const customerId = newId();
    const af = moved(sampleActiveflow(ctx, customerId), 'ended', ctx);
    await put(ctx, af);
    const foreign = await ctx.store.transaction((tx) =>
      ctx.store.activeflows.markDeleted(tx, af.id, { customerId: newId() }),
    );
    assert.equal(foreign, undefined);
    ctx.clock.advance(10);
    const deleted = await ctx.store.transaction((tx) => ctx.store.activeflows.markDeleted(tx, af.id, { customerId }));
    assert.deepEqual(deleted, { ...af, tm_delete: isoNow(ctx.clock) });
    assert.equal(await ctx.store.activeflows.get(af.id), undefined);
    assert.deepEqual(await listAll(ctx, customerId, 10), []);
    assert.equal(await ctx.store.transaction((tx) => ctx.store.activeflows.markDeleted(tx, af.id)), undefined);
    await put(ctx, { ...af, tm_update: isoNow(ctx.clock) });
    assert.equal(await ctx.store.activeflows.get(af.id), undefined);
  });
}
