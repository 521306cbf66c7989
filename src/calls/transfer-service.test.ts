import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NIL_UUID, ValidationError, hasCode } from '../shared/index.ts';
import type { Call } from './call.ts';
import { CUSTOMER, acceptOne, answerOutgoing, current } from './testing/call-fixtures.ts';
import type { Harness } from './testing/call-fixtures.ts';
import { address, makeHarness } from './testing/fake-ports.ts';
import type { FakeIncomingLeg } from './testing/fake-ports.ts';
import type { TransferEvent } from './transfer.ts';

interface Scene {
  h: Harness;
  caller: Call;
  callerLeg: FakeIncomingLeg;
  agent: Call;
  agentLeg: string;
  events: TransferEvent[];
}

/** An answered incoming caller with an answered agent call chained to it (what `connect` builds). */
async function talking(): Promise<Scene> {
  const h = makeHarness();
  h.directory.extensions.set('1002', ['sip:1002@127.0.0.1:5999']);
  h.directory.extensions.set('1003', ['sip:1003@127.0.0.1:6000']);
  const { call: caller, leg: callerLeg } = await acceptOne(h);
  await h.service.answer(caller.id);
  const [agent] = await h.service.createOutgoing({
    customer_id: CUSTOMER,
    source: caller.source,
    destinations: [address('extension', '1002')],
    actions: [],
    master_call_id: caller.id,
  });
  assert.ok(agent);
  await answerOutgoing(h, agent.id);
  const events: TransferEvent[] = [];
  h.service.transfers.onEvent((e) => events.push(e));
  return { h, caller, callerLeg, agent, agentLeg: h.signaling.last(agent.id).leg_id, events };
}

async function idle(h: Harness): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await h.service.whenIdle();
    await h.service.transfers.whenIdle();
  }
}

describe('TransferService', () => {
  it('blind: holds the agent, rings the transferee chained to the caller, bridges on answer and hangs the agent up', async () => {
    const s = await talking();
    const t = await s.h.service.transfers.create({
      customer_id: CUSTOMER,
      type: 'blind',
      transferer_call_id: s.agent.id,
      transferee: { type: 'extension', target: '1003' },
    });
    await idle(s.h);
    assert.equal(t.status, 'initiated');
    assert.equal(t.transferred_call_id, s.caller.id);
    // VoIPBIN's fields, in the answer and in the events that reach webhooks (docs/calls.md "Transfer").
    assert.deepEqual(t.transferee_addresses, [t.transferee]);
    assert.equal(t.groupcall_id, NIL_UUID);
    assert.deepEqual(s.events[0]?.transfer.transferee_addresses, [t.transferee]);
    const transferee = await current(s.h, t.transferee_call_id);
    assert.equal(transferee.master_call_id, s.caller.id);
    assert.ok(s.h.media.log.includes(`unbridge ${s.callerLeg.leg_id} ${s.agentLeg}`));
    assert.ok(
      s.h.media.log.includes(`moh ${s.callerLeg.leg_id} true`),
      'the caller hears music while the transferee rings',
    );
    assert.deepEqual(s.h.signaling.last(s.agent.id).log, ['hold']);
    s.h.signaling.last(transferee.id).ring();
    await idle(s.h);
    assert.equal(s.h.service.transfers.get(t.id)?.status, 'ringing');
    s.h.signaling.last(transferee.id).answer();
    await idle(s.h);
    const transfereeLeg = s.h.signaling.last(transferee.id).leg_id;
    assert.ok(s.h.media.log.includes(`bridge ${s.callerLeg.leg_id} ${transfereeLeg}`));
    assert.ok(s.h.media.log.includes(`moh ${s.callerLeg.leg_id} false`));
    assert.equal(s.h.service.transfers.get(t.id)?.status, 'completed');
    assert.deepEqual(s.h.signaling.last(s.agent.id).log, ['hold', 'bye']);
    assert.equal((await current(s.h, s.agent.id)).status, 'hangup');
    assert.equal((await current(s.h, s.caller.id)).status, 'progressing', 'the caller stays up');
    assert.deepEqual(
      s.events.filter((e) => e.type !== 'transfer_updated').map((e) => e.type),
      ['transfer_created', 'transfer_ringing', 'transfer_answered', 'transfer_completed'],
    );
    s.h.signaling.last(transferee.id).remoteBye();
    await idle(s.h);
    assert.equal(
      (await current(s.h, s.caller.id)).status,
      'hangup',
      'the caller ends with the transferee once transferred',
    );
  });

  it('blind: a transferee that does not answer reconnects the caller to the (unheld) agent', async () => {
    const s = await talking();
    const t = await s.h.service.transfers.create({
      customer_id: CUSTOMER,
      type: 'blind',
      transferer_call_id: s.agent.id,
      transferee: { type: 'extension', target: '1003' },
    });
    await idle(s.h);
    s.h.signaling.last(t.transferee_call_id).fail(480);
    await idle(s.h);
    assert.equal(s.h.service.transfers.get(t.id)?.status, 'failed');
    assert.deepEqual(s.h.signaling.last(s.agent.id).log, ['hold', 'unhold']);
    assert.equal(s.h.media.log.at(-2), `bridge ${s.callerLeg.leg_id} ${s.agentLeg}`);
    assert.equal(s.h.media.log.at(-1), `moh ${s.callerLeg.leg_id} false`);
    assert.equal((await current(s.h, s.agent.id)).status, 'progressing');
  });

  it('attended: the agent talks to the transferee first; complete bridges the caller; cancel gives the caller back', async () => {
    const s = await talking();
    const t = await s.h.service.transfers.create({
      customer_id: CUSTOMER,
      type: 'attended',
      transferer_call_id: s.agent.id,
      transferee: { type: 'extension', target: '1003' },
    });
    await idle(s.h);
    await assert.rejects(s.h.service.transfers.complete(t.id, CUSTOMER), (err) =>
      hasCode(err, 'TRANSFER_STATE_INVALID'),
    );
    await answerOutgoing(s.h, t.transferee_call_id);
    await idle(s.h);
    const transfereeLeg = s.h.signaling.last(t.transferee_call_id).leg_id;
    assert.ok(s.h.media.log.includes(`bridge ${s.agentLeg} ${transfereeLeg}`), 'agent and transferee talk');
    assert.deepEqual(s.h.signaling.last(s.agent.id).log, [], 'the agent is not held in an attended transfer');
    const done = await s.h.service.transfers.complete(t.id, CUSTOMER);
    await idle(s.h);
    assert.equal(done.status, 'completed');
    assert.ok(s.h.media.log.includes(`bridge ${s.callerLeg.leg_id} ${transfereeLeg}`));
    assert.equal((await current(s.h, s.agent.id)).status, 'hangup');

    const s2 = await talking();
    const t2 = await s2.h.service.transfers.create({
      customer_id: CUSTOMER,
      type: 'attended',
      transferer_call_id: s2.agent.id,
      transferee: { type: 'extension', target: '1003' },
    });
    await answerOutgoing(s2.h, t2.transferee_call_id);
    await idle(s2.h);
    const canceled = await s2.h.service.transfers.cancel(t2.id, CUSTOMER);
    await idle(s2.h);
    assert.equal(canceled.status, 'canceled');
    assert.equal((await current(s2.h, t2.transferee_call_id)).status, 'hangup');
    assert.ok(s2.h.media.log.includes(`bridge ${s2.callerLeg.leg_id} ${s2.agentLeg}`));
  });

  it("refuses what cannot be transferred: bad transferee, master call, unknown or other customer's call, a second transfer", async () => {
    const s = await talking();
    const transfers = s.h.service.transfers;
    await assert.rejects(
      transfers.create({
        customer_id: CUSTOMER,
        type: 'blind',
        transferer_call_id: s.agent.id,
        transferee: { type: 'tel', target: '12345' },
      }),
      (err: unknown) => err instanceof ValidationError && err.details[0]?.field === 'transferee.target',
    );
    await assert.rejects(
      transfers.create({
        customer_id: CUSTOMER,
        type: 'blind',
        transferer_call_id: s.caller.id,
        transferee: address('extension', '1003'),
      }),
      (err) => hasCode(err, 'TRANSFER_NOT_SUPPORTED'),
    );
    await assert.rejects(
      transfers.create({
        customer_id: 'c0000000-0000-4000-8000-000000000009',
        type: 'blind',
        transferer_call_id: s.agent.id,
        transferee: address('extension', '1003'),
      }),
      (err) => hasCode(err, 'CALL_NOT_FOUND'),
    );
    await transfers.create({
      customer_id: CUSTOMER,
      type: 'blind',
      transferer_call_id: s.agent.id,
      transferee: address('extension', '1003'),
    });
    await assert.rejects(
      transfers.create({
        customer_id: CUSTOMER,
        type: 'blind',
        transferer_call_id: s.agent.id,
        transferee: address('extension', '1003'),
      }),
      (err) => hasCode(err, 'TRANSFER_IN_PROGRESS'),
    );
    await idle(s.h);
    assert.equal(s.h.signaling.attempts.length, 2, 'the agent, then one transferee: only the first transfer dialled');
  });
});
