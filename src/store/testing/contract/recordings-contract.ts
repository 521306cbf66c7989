import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newRecording, transition, type Recording } from '../../../recordings/index.ts';
import { newId } from '../../../shared/index.ts';
import { isoNow, rejectsWith } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';

function sampleRecording(ctx: ContractContext, customerId: string, referenceId = newId()): Recording {
  return transition(
    newRecording({
      id: newId(),
      customer_id: customerId,
      reference_type: 'call',
      reference_id: referenceId,
      layout: 'split',
      nowMs: ctx.clock.now(),
    }),
    'recording',
    ctx.clock.now(),
  );
}

async function put(ctx: ContractContext, ...recordings: Recording[]): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    for (const r of recordings) await ctx.store.recordings.upsert(tx, r);
  });
}

async function listAll(ctx: ContractContext, customerId: string, pageSize: number, filter = {}): Promise<string[]> {
  const ids: string[] = [];
  let pageToken = '';
  do {
    const page = await ctx.store.recordings.list({ customerId, pageSize, pageToken, filter });
    ids.push(...page.items.map((r) => r.id));
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return ids;
}

/** The recordings table: upsert in transactions, scoped reads, filtered keyset lists, unfinished ones, soft delete. */
export function recordingsContract(ctx: ContractContext): void {
  it('recordings: upsert stores the whole recording; a later upsert replaces it; scope hides other customers', async () => {
    const customerId = newId();
    const rec = sampleRecording(ctx, customerId);
    await put(ctx, rec);
    assert.deepEqual(await ctx.store.recordings.get(rec.id), rec);
    assert.deepEqual(await ctx.store.recordings.get(rec.id, { customerId }), rec);
    assert.equal(await ctx.store.recordings.get(rec.id, { customerId: newId() }), undefined);
    ctx.clock.advance(5);
    const ended = transition(rec, 'ended', ctx.clock.now(), {
      durationSec: 1.5,
      files: [{ filename: rec.filenames[0] ?? '', bytes: 44, sha256: 'ff'.repeat(32) }],
    });
    await put(ctx, ended);
    assert.deepEqual(await ctx.store.recordings.get(rec.id), ended);
  });

  it('recordings: a rolled-back transaction writes no row', async () => {
    const rec = sampleRecording(ctx, newId());
    await assert.rejects(
      ctx.store.transaction(async (tx) => {
        await ctx.store.recordings.upsert(tx, rec);
        throw new Error('roll back');
      }),
      { message: 'roll back' },
    );
    assert.equal(await ctx.store.recordings.get(rec.id), undefined);
  });

  it('recordings: lists are per customer, newest first, paged stably, filtered by reference_id', async () => {
    const customerId = newId();
    const callId = newId();
    const made: Recording[] = [];
    for (let i = 0; i < 5; i++) {
      ctx.clock.advance(1);
      made.push(sampleRecording(ctx, customerId, i % 2 === 0 ? callId : newId()));
    }
    await put(ctx, ...made, sampleRecording(ctx, newId()));
    const newestFirst = made.map((r) => r.id).reverse();
    assert.deepEqual(await listAll(ctx, customerId, 2), newestFirst);
    assert.deepEqual(
      await listAll(ctx, customerId, 100, { reference_id: callId }),
      [made[4], made[2], made[0]].map((r) => r?.id),
    );
    await rejectsWith(ctx.store.recordings.list({ customerId, pageSize: 0 }), 'INVALID_PAGE_SIZE', 'page_size');
  });

  it('recordings: listUnfinished returns every recording not ended; markDeleted hides one once and keeps it deleted', async () => {
    const customerId = newId();
    const live = sampleRecording(ctx, customerId);
    const done = transition(sampleRecording(ctx, customerId), 'ended', ctx.clock.now(), { durationSec: 0, files: [] });
    await put(ctx, live, done);
    const unfinished = (await ctx.store.recordings.listUnfinished()).map((r) => r.id);
    assert.ok(unfinished.includes(live.id));
    assert.ok(!unfinished.includes(done.id));
    const deleted = await ctx.store.transaction((tx) =>
      ctx.store.recordings.markDeleted(tx, done.id, { customerId: newId() }),
    );
    assert.equal(deleted, undefined, 'another customer cannot delete it');
    const hidden = await ctx.store.transaction((tx) => ctx.store.recordings.markDeleted(tx, done.id, { customerId }));
    assert.equal(hidden?.tm_delete, isoNow(ctx.clock));
    assert.equal(await ctx.store.recordings.get(done.id), undefined);
    assert.ok(!(await listAll(ctx, customerId, 100)).includes(done.id));
    assert.equal(await ctx.store.transaction((tx) => ctx.store.recordings.markDeleted(tx, done.id)), undefined);
    await put(ctx, done);
    assert.equal(await ctx.store.recordings.get(done.id), undefined, 'an upsert does not undelete');
  });
}
