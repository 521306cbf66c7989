import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Conference, Conferencecall } from '../../../conferences/index.ts';
import { NIL_UUID, newId } from '../../../shared/index.ts';
import { isoNow } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';

function sampleConference(
  ctx: ContractContext,
  customerId: string,
  type: Conference['type'] = 'conference',
): Conference {
  const now = isoNow(ctx.clock);
  return {
    id: newId(),
    customer_id: customerId,
    type,
    status: 'progressing',
    name: 'room ✓',
    detail: '',
    timeout: 0,
    pre_flow_id: NIL_UUID,
    post_flow_id: NIL_UUID,
    conferencecall_ids: [],
    recording_id: NIL_UUID,
    recording_ids: [],
    tm_create: now,
    tm_update: now,
  };
}

function sampleConferencecall(ctx: ContractContext, conference: Conference): Conferencecall {
  const now = isoNow(ctx.clock);
  return {
    id: newId(),
    customer_id: conference.customer_id,
    conference_id: conference.id,
    reference_type: 'call',
    reference_id: newId(),
    status: 'joined',
    muted: false,
    tm_create: now,
    tm_update: now,
  };
}

/** The conferences and conferencecalls tables: transactional upserts, scoped reads, filtered keyset lists, soft delete. */
export function conferencesContract(ctx: ContractContext): void {
  it('conferences: upsert stores the whole conference, a second upsert replaces it, reads are scoped', async () => {
    const customerId = newId();
    const c = sampleConference(ctx, customerId);
    await ctx.store.transaction((tx) => ctx.store.conferences.upsert(tx, c));
    assert.deepEqual(await ctx.store.conferences.get(c.id), c);
    assert.deepEqual(await ctx.store.conferences.get(c.id, { customerId }), c);
    assert.equal(await ctx.store.conferences.get(c.id, { customerId: newId() }), undefined);
    ctx.clock.advance(5);
    const ended: Conference = {
      ...c,
      status: 'terminated',
      conferencecall_ids: [newId()],
      tm_update: isoNow(ctx.clock),
      tm_end: isoNow(ctx.clock),
    };
    await ctx.store.transaction((tx) => ctx.store.conferences.upsert(tx, ended));
    assert.deepEqual(await ctx.store.conferences.get(c.id), ended);
  });

  it('conferences: a rolled-back transaction writes no row', async () => {
    const c = sampleConference(ctx, newId());
    await assert.rejects(
      ctx.store.transaction(async (tx) => {
        await ctx.store.conferences.upsert(tx, c);
        throw new Error('roll back');
      }),
      { message: 'roll back' },
    );
    assert.equal(await ctx.store.conferences.get(c.id), undefined);
  });

  it('conferences: list is one customer newest first, filtered by type and status, paged; unknown filters are refused', async () => {
    const customerId = newId();
    const a = sampleConference(ctx, customerId);
    ctx.clock.advance(1);
    const b = sampleConference(ctx, customerId, 'connect');
    ctx.clock.advance(1);
    const c = { ...sampleConference(ctx, customerId), status: 'terminated' as const };
    await ctx.store.transaction(async (tx) => {
      for (const x of [a, b, c, sampleConference(ctx, newId())]) await ctx.store.conferences.upsert(tx, x);
    });
    const ids = async (filter: Record<string, string> = {}, pageSize = 10) => {
      const out: string[] = [];
      let pageToken = '';
      do {
        const page = await ctx.store.conferences.list({ customerId, pageSize, pageToken, filter });
        out.push(...page.items.map((x) => x.id));
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      return out;
    };
    assert.deepEqual(await ids(), [c.id, b.id, a.id]);
    assert.deepEqual(await ids({}, 1), [c.id, b.id, a.id]);
    assert.deepEqual(await ids({ type: 'connect' }), [b.id]);
    assert.deepEqual(await ids({ status: 'progressing' }), [b.id, a.id]);
    await assert.rejects(ctx.store.conferences.list({ customerId, pageSize: 10, filter: { name: 'x' } }), {
      code: 'INVALID_FILTER',
    });
  });

  it('conferences: markDeleted hides the row within the scope only, once', async () => {
    const customerId = newId();
    const c = sampleConference(ctx, customerId);
    await ctx.store.transaction((tx) => ctx.store.conferences.upsert(tx, c));
    assert.equal(
      await ctx.store.transaction((tx) => ctx.store.conferences.markDeleted(tx, c.id, { customerId: newId() })),
      undefined,
    );
    const deleted = await ctx.store.transaction((tx) => ctx.store.conferences.markDeleted(tx, c.id, { customerId }));
    assert.equal(deleted?.id, c.id);
    assert.equal(deleted?.tm_delete, isoNow(ctx.clock));
    assert.equal(await ctx.store.conferences.get(c.id), undefined);
    assert.equal(await ctx.store.transaction((tx) => ctx.store.conferences.markDeleted(tx, c.id)), undefined);
    await ctx.store.transaction((tx) => ctx.store.conferences.upsert(tx, c));
    assert.equal(await ctx.store.conferences.get(c.id), undefined, 'a deleted conference stays deleted');
  });

  it('conferencecalls: upsert, scoped get and lists by conference_id and status', async () => {
    const customerId = newId();
    const conference = sampleConference(ctx, customerId);
    const one = sampleConferencecall(ctx, conference);
    ctx.clock.advance(1);
    const two = sampleConferencecall(ctx, conference);
    const elsewhere = sampleConferencecall(ctx, sampleConference(ctx, customerId));
    await ctx.store.transaction(async (tx) => {
      for (const cc of [one, two, elsewhere]) await ctx.store.conferencecalls.upsert(tx, cc);
    });
    const left: Conferencecall = { ...one, status: 'leaved', muted: true };
    await ctx.store.transaction((tx) => ctx.store.conferencecalls.upsert(tx, left));
    assert.deepEqual(await ctx.store.conferencecalls.get(one.id, { customerId }), left);
    assert.equal(await ctx.store.conferencecalls.get(one.id, { customerId: newId() }), undefined);
    const list = async (filter: Record<string, string>) =>
      (await ctx.store.conferencecalls.list({ customerId, pageSize: 10, filter })).items.map((x) => x.id);
    assert.deepEqual(await list({ conference_id: conference.id }), [two.id, one.id]);
    assert.deepEqual(await list({ conference_id: conference.id, status: 'joined' }), [two.id]);
    assert.deepEqual(await list({ reference_id: elsewhere.reference_id }), [elsewhere.id]);
  });
}
