import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InProcessBroker, InProcessBus } from '../bus/index.ts';
import type { Transfer } from '../calls/index.ts';
import { CUSTOMER, acceptOne, answerOutgoing } from '../calls/testing/call-fixtures.ts';
import { address, makeHarness } from '../calls/testing/fake-ports.ts';
import { silentLogger } from '../shared/index.ts';
import { startCommandServer } from './command-server.ts';
import { ClusterCalls } from './remote-calls.ts';

const OTHER_CUSTOMER = 'c0000000-0000-4000-8000-000000000002';

/** Node `a` holds a caller and an agent chained to it; node `b` serves the API. */
async function scene() {
  const broker = new InProcessBroker();
  const a = makeHarness();
  a.directory.extensions.set('1002', ['sip:1002@127.0.0.1:5999']);
  a.directory.extensions.set('1003', ['sip:1003@127.0.0.1:6000']);
  const { call: caller } = await acceptOne(a);
  await a.service.answer(caller.id);
  const [agent] = await a.service.createOutgoing({
    customer_id: CUSTOMER,
    source: caller.source,
    destinations: [address('extension', '1002')],
    actions: [],
    master_call_id: caller.id,
  });
  assert.ok(agent);
  await answerOutgoing(a, agent.id);
  // The transfer events a's store keeps, as the outbox gives them.
  const stored = new Map<string, { data: Transfer }[]>();
  a.service.transfers.onEvent((e) => {
    const list = stored.get(e.transfer.id) ?? [];
    list.push({ data: structuredClone(e.transfer) });
    stored.set(e.transfer.id, list);
  });
  const stop = startCommandServer({
    bus: new InProcessBus({ broker }),
    nodeId: 'a',
    calls: a.service,
    flows: { get: async () => undefined, stop: async () => undefined },
    conferences: {
      kick: async () => assert.fail(),
      setMuted: async () => assert.fail(),
      update: async () => assert.fail(),
      delete: async () => assert.fail(),
    },
    logger: silentLogger,
  });
  const owners = new Map([
    [caller.id, 'a'],
    [agent.id, 'a'],
  ]);
  const b = makeHarness();
  const calls = new ClusterCalls({
    nodeId: 'b',
    bus: new InProcessBus({ broker }),
    local: b.service,
    calls: { ownerOf: async (id) => owners.get(id) },
    transferEvents: { listForResource: async (_type, id) => stored.get(id) ?? [] },
  });
  return { a, b, agent, calls, stop };
}

describe('ClusterCalls.transfers', () => {
  it('creates, reads and cancels a transfer on the node of its calls', async () => {
    const s = await scene();
    const created = await s.calls.transfers.create({
      customer_id: CUSTOMER,
      type: 'attended',
      transferer_call_id: s.agent.id,
      transferee: { type: 'extension', target: '1003' },
    });
    assert.equal(created.transferer_call_id, s.agent.id);
    assert.ok(s.a.service.transfers.get(created.id), 'the transfer runs on the node of its calls');
    assert.equal(s.b.service.transfers.get(created.id), undefined);
    assert.equal((await s.calls.transfers.get(created.id, CUSTOMER))?.id, created.id);
    assert.equal(await s.calls.transfers.get(created.id, OTHER_CUSTOMER), undefined);
    await assert.rejects(s.calls.transfers.cancel(created.id, OTHER_CUSTOMER), { code: 'TRANSFER_NOT_FOUND' });
    const canceled = await s.calls.transfers.cancel(created.id, CUSTOMER);
    assert.equal(canceled.status, 'canceled');
    await s.a.service.transfers.whenIdle();
    s.stop();
    // Its node silent, a read gives the last stored state and a command NODE_UNAVAILABLE.
    assert.equal((await s.calls.transfers.get(created.id, CUSTOMER))?.status, 'canceled');
    await assert.rejects(s.calls.transfers.complete(created.id, CUSTOMER), { code: 'NODE_UNAVAILABLE' });
  });
});
