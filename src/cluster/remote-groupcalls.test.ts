import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InProcessBroker, InProcessBus } from '../bus/index.ts';
import { GroupcallService } from '../calls/index.ts';
import type { Groupcall, GroupcallChange, GroupcallStorePort } from '../calls/index.ts';
import { CUSTOMER, FLOW, current } from '../calls/testing/call-fixtures.ts';
import { address, makeHarness } from '../calls/testing/fake-ports.ts';
import { silentLogger } from '../shared/index.ts';
import { runCommand, startCommandServer } from './command-server.ts';
import { ClusterGroupcalls } from './remote-groupcalls.ts';

const OTHER_CUSTOMER = 'c0000000-0000-4000-8000-000000000002';

/** The groupcall rows both nodes share (the cluster's PostgreSQL, docs/cluster.md "What is shared and what is per node"). */
class SharedGroupcallRows implements GroupcallStorePort {
  readonly rows = new Map<string, Groupcall>();
  async save(change: GroupcallChange): Promise<void> {
    this.rows.set(change.groupcall.id, structuredClone(change.groupcall));
  }
  async get(id: string): Promise<Groupcall | undefined> {
    const row = this.rows.get(id);
    return row ? structuredClone(row) : undefined;
  }
  async listLive(): Promise<Groupcall[]> {
    return [...this.rows.values()].filter((g) => g.status !== 'hangup').map((g) => structuredClone(g));
  }
}

/** Node `a` runs the groupcalls and their calls; node `b` serves the API for them. */
function twoNodes() {
  const broker = new InProcessBroker();
  const rows = new SharedGroupcallRows();
  const a = makeHarness();
  const aGroupcalls = new GroupcallService({ calls: a.service, store: rows, clock: a.clock });
  const b = makeHarness();
  const bGroupcalls = new GroupcallService({ calls: b.service, store: rows, clock: b.clock });
  const serverDeps = {
    calls: a.service,
    flows: { get: async () => undefined, stop: async () => undefined },
    conferences: {
      kick: async () => assert.fail(),
      setMuted: async () => assert.fail(),
      update: async () => assert.fail(),
      delete: async () => assert.fail(),
    },
    groupcalls: aGroupcalls,
    logger: silentLogger,
  };
  const stop = startCommandServer({ ...serverDeps, bus: new InProcessBus({ broker }), nodeId: 'a' });
  const groupcalls = new ClusterGroupcalls({
    nodeId: 'b',
    bus: new InProcessBus({ broker }),
    local: bGroupcalls,
    groupcalls: rows,
    // The calls' rows stamped with their node: a's calls are a's.
    calls: { ownerOf: async (id) => ((await a.service.get(id)) ? 'a' : undefined) },
  });
  /** Lets every queued call and groupcall input on `a` run. */
  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      await a.service.whenIdle();
      await aGroupcalls.whenIdle();
    }
  };
  /** A groupcall created on `a` whose two calls ring unanswered. */
  const ringing = async (): Promise<Groupcall> => {
    const gc = await aGroupcalls.create({
      customer_id: CUSTOMER,
      source: address('tel', '+15550001111'),
      destinations: [address('sip', 'x@example.net'), address('sip', 'y@example.net')],
      flow_id: FLOW,
      ring_method: 'ring_all',
      answer_method: 'hangup_others',
    });
    for (const id of gc.call_ids) await a.signaling.last(id).ring();
    await settle();
    return gc;
  };
  return { a, b, rows, aGroupcalls, bGroupcalls, groupcalls, serverDeps, settle, ringing, stop };
}

describe('ClusterGroupcalls', () => {
  it('hangs up a groupcall of another node there: its ringing calls are CANCELled and it ends', async () => {
    const n = twoNodes();
    const gc = await n.ringing();
    assert.equal(n.bGroupcalls.getLive(gc.id), undefined, 'node b does not run it');

    await assert.rejects(n.groupcalls.hangup(gc.id, OTHER_CUSTOMER), { code: 'GROUPCALL_NOT_FOUND' });
    const answered = await n.groupcalls.hangup(gc.id, CUSTOMER);
    assert.equal(answered.id, gc.id);
    assert.equal(answered.status, 'hangingup');
    await n.settle();
    for (const id of gc.call_ids) {
      assert.deepEqual(n.a.signaling.last(id).log, ['cancel'], 'a CANCEL for each ringing call, sent by a');
      const call = await current(n.a, id);
      assert.deepEqual([call.status, call.hangup_by, call.hangup_reason], ['hangup', 'local', 'cancel']);
    }
    assert.equal(n.rows.rows.get(gc.id)?.status, 'hangup');
    assert.equal(n.rows.rows.get(gc.id)?.call_count, 0);

    await assert.rejects(n.groupcalls.hangup(gc.id, CUSTOMER), { code: 'GROUPCALL_ALREADY_HANGUP' });
    n.stop();
  });

  it('the owner checks the customer again: a command in another name is its 404', async () => {
    const n = twoNodes();
    const gc = await n.ringing();
    const command = (customerId: string) =>
      JSON.stringify({ op: 'groupcallHangup', customerId, callId: gc.call_ids[0], args: [gc.id] });
    const foreign = JSON.parse(await runCommand(n.serverDeps, command(OTHER_CUSTOMER)));
    assert.equal(foreign.error.code, 'GROUPCALL_NOT_FOUND');
    for (const id of gc.call_ids) assert.deepEqual(n.a.signaling.last(id).log, [], 'nothing was hung up');
    const own = JSON.parse(await runCommand(n.serverDeps, command(CUSTOMER)));
    assert.equal(own.result.status, 'hangingup');
    n.stop();
  });

  it('a silent node: 503 NODE_UNAVAILABLE, then 409 once a survivor ended its groupcall', async () => {
    const n = twoNodes();
    const gc = await n.ringing();
    n.stop();
    await assert.rejects(n.groupcalls.hangup(gc.id, CUSTOMER), { code: 'NODE_UNAVAILABLE' });
    // docs/cluster.md "Node health", item 6: the survivor ends the dead node's groupcalls.
    const ended = await n.bGroupcalls.reconcile({ nodeId: 'a' });
    assert.deepEqual(
      ended.map((g) => g.id),
      [gc.id],
    );
    await assert.rejects(n.groupcalls.hangup(gc.id, CUSTOMER), { code: 'GROUPCALL_ALREADY_HANGUP' });
  });

  it('runs here when this node runs the groupcall', async () => {
    const n = twoNodes();
    const gc = await n.ringing();
    const local = new ClusterGroupcalls({
      nodeId: 'a',
      bus: new InProcessBus({ broker: new InProcessBroker() }),
      local: n.aGroupcalls,
      groupcalls: n.rows,
      calls: { ownerOf: async () => 'a' },
    });
    assert.equal((await local.hangup(gc.id, CUSTOMER)).status, 'hangingup');
    n.stop();
  });
});
