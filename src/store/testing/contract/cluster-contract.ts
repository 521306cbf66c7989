import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newCall } from '../../../calls/index.ts';
import type { Call } from '../../../calls/index.ts';
import type { Conference } from '../../../conferences/index.ts';
import type { Activeflow } from '../../../flows/index.ts';
import { newRecording, transition, type Recording } from '../../../recordings/index.ts';
import { NIL_UUID, newId } from '../../../shared/index.ts';
import type { Store } from '../../open-store.ts';
import { CONTRACT_NODE_ID, isoNow } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';

/** One live row of each owned table, of one customer. */
interface Owned {
  call: Call;
  activeflow: Activeflow;
  conference: Conference;
  recording: Recording;
  legId: string;
}

function owned(ctx: ContractContext, customerId: string): Owned {
  const now = isoNow(ctx.clock);
  const address = { type: 'tel' as const, target: '+821012345678', target_name: '', name: '', detail: '' };
  const call = newCall(
    {
      id: newId(),
      customer_id: customerId,
      type: 'flow',
      direction: 'outgoing',
      source: address,
      destination: address,
      status: 'dialing',
      metadata: {},
    },
    ctx.clock.now(),
  );
  const activeflow: Activeflow = {
    id: newId(),
    customer_id: customerId,
    flow_id: newId(),
    status: 'running',
    reference_type: 'call',
    reference_id: call.id,
    current_action: { id: NIL_UUID, next_id: NIL_UUID, type: '', option: {} },
    executed_actions: [],
    variables: {},
    tm_create: now,
    tm_update: now,
  };
  const conference: Conference = {
    id: newId(),
    customer_id: customerId,
    type: 'conference',
    status: 'progressing',
    name: 'room',
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
  const recording = transition(
    newRecording({
      id: newId(),
      customer_id: customerId,
      reference_type: 'call',
      reference_id: call.id,
      layout: 'split',
      nowMs: ctx.clock.now(),
    }),
    'recording',
    ctx.clock.now(),
  );
  return { call, activeflow, conference, recording, legId: newId() };
}

/** Write every row of `o` through `store` (an insert, or an update of rows another store inserted). */
async function write(store: Store, o: Owned, nowIso: string): Promise<void> {
  await store.transaction(async (tx) => {
    await store.calls.upsert(tx, o.call);
    await store.activeflows.upsert(tx, o.activeflow);
    await store.conferences.upsert(tx, o.conference);
    await store.recordings.upsert(tx, o.recording);
  });
  await store.calls.saveDialog({ leg_id: o.legId, call_id: o.call.id, dialog: { callId: o.legId } }, nowIso);
}

/** The ids each reconciliation listing of `store` returns for `filter`. */
async function live(store: Store, filter?: { nodeId?: string }): Promise<Set<string>> {
  const lists = await Promise.all([
    store.calls.listLive(filter),
    store.activeflows.listRunning(filter),
    store.conferences.listLive(filter),
    store.recordings.listUnfinished(filter),
  ]);
  const dialogs = await store.calls.listDialogs(filter);
  return new Set([...lists.flat().map((r) => r.id), ...dialogs.map((d) => d.leg_id)]);
}

function idsOf(o: Owned): string[] {
  return [o.call.id, o.activeflow.id, o.conference.id, o.recording.id, o.legId];
}

/** Whose every row of `o` is, by ownerOf. */
async function owners(store: Store, o: Owned): Promise<(string | undefined)[]> {
  return Promise.all([
    store.calls.ownerOf(o.call.id),
    store.activeflows.ownerOf(o.activeflow.id),
    store.conferences.ownerOf(o.conference.id),
    store.recordings.ownerOf(o.recording.id),
  ]);
}

/** Cluster ownership (docs/cluster.md): the store stamps its node on the rows it inserts, never on an update. */
export function clusterContract(ctx: ContractContext): void {
  it('ownership: inserted rows carry the store node; ownerOf names it, also after updates and deletion', async () => {
    const o = owned(ctx, newId());
    await write(ctx.store, o, isoNow(ctx.clock));
    assert.deepEqual(await owners(ctx.store, o), Array(4).fill(CONTRACT_NODE_ID));
    ctx.clock.advance(5);
    o.call = { ...o.call, status: 'ringing', tm_update: isoNow(ctx.clock) };
    await write(ctx.store, o, isoNow(ctx.clock));
    await ctx.store.transaction((tx) => ctx.store.calls.markDeleted(tx, o.call.id));
    assert.deepEqual(await owners(ctx.store, o), Array(4).fill(CONTRACT_NODE_ID));
    assert.deepEqual(await owners(ctx.store, { ...o, ...owned(ctx, newId()) }), Array(4).fill(undefined));
  });

  it('ownership: the live listings take a node filter; without one they list every node', async () => {
    const o = owned(ctx, newId());
    await write(ctx.store, o, isoNow(ctx.clock));
    const all = await live(ctx.store);
    const mine = await live(ctx.store, { nodeId: CONTRACT_NODE_ID });
    const others = await live(ctx.store, { nodeId: `other-${newId()}` });
    for (const id of idsOf(o)) {
      assert.ok(all.has(id), `${id} listed without a filter`);
      assert.ok(mine.has(id), `${id} listed for its node`);
      assert.ok(!others.has(id), `${id} not listed for another node`);
    }
  });

  it('ownership: two nodes on one database each own what they inserted; an update by the other node moves nothing', async (t) => {
    // SQLite is one node (docs/cluster.md): a second node on one file is refused, see data-dir-lock.test.ts.
    if (ctx.dialect === 'sqlite') return t.skip('SQLite is one node');
    const nodeB = `contract-node-b-${newId().slice(0, 8)}`;
    const b = await ctx.openAnother({ nodeId: nodeB });
    try {
      const ofA = owned(ctx, newId());
      const ofB = owned(ctx, newId());
      await write(ctx.store, ofA, isoNow(ctx.clock));
      await write(b, ofB, isoNow(ctx.clock));
      ctx.clock.advance(5);
      // Each writes the other's rows: the call's state changes, its owner does not.
      ofA.call = { ...ofA.call, status: 'ringing', tm_update: isoNow(ctx.clock) };
      ofB.call = { ...ofB.call, status: 'ringing', tm_update: isoNow(ctx.clock) };
      await write(b, ofA, isoNow(ctx.clock));
      await write(ctx.store, ofB, isoNow(ctx.clock));
      assert.equal((await ctx.store.calls.get(ofA.call.id))?.status, 'ringing');
      assert.deepEqual(await owners(b, ofA), Array(4).fill(CONTRACT_NODE_ID));
      assert.deepEqual(await owners(ctx.store, ofB), Array(4).fill(nodeB));
      const listA = await live(b, { nodeId: CONTRACT_NODE_ID });
      const listB = await live(ctx.store, { nodeId: nodeB });
      const all = await live(b);
      for (const id of idsOf(ofA)) assert.ok(listA.has(id) && !listB.has(id) && all.has(id));
      for (const id of idsOf(ofB)) assert.ok(listB.has(id) && !listA.has(id) && all.has(id));
      // Hung up, the call leaves the live listing of its node.
      await b.transaction((tx) => b.calls.upsert(tx, { ...ofB.call, status: 'hangup' }));
      assert.ok(!(await b.calls.listLive({ nodeId: nodeB })).some((c) => c.id === ofB.call.id));
    } finally {
      await b.close();
    }
  });
}
