import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Gate, address, makeHarness } from './testing/fake-ports.ts';
import { acceptOne, answerOutgoing, current, dialOne, outgoingRequest, useRoutes } from './testing/call-fixtures.ts';

describe('call chaining', () => {
  it('appends chained calls to the master atomically, in the same store transaction', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const { call: master } = await acceptOne(h);
    const before = h.store.transactions;
    const chained = await h.service.createOutgoing(
      outgoingRequest({
        master_call_id: master.id,
        destinations: [address('tel', '+821012345678'), address('sip', 'bob@example.com')],
      }),
    );
    assert.equal(h.store.transactions, before + 1);
    assert.equal(chained.length, 2);
    assert.ok(chained.every((c) => c.master_call_id === master.id && c.status === 'dialing'));
    assert.deepEqual(
      (await current(h, master.id)).chained_call_ids,
      chained.map((c) => c.id),
    );
    assert.deepEqual(h.store.eventsOf(master.id), ['call_created', 'call_updated(ringing)']);
  });

  it('refuses to chain onto a master that is ending: 409 CALL_STATE_INVALID and nothing is dialled', async () => {
    const h = makeHarness();
    useRoutes(h, 2);
    const master = await dialOne(h);
    await answerOutgoing(h, master.id);
    h.signaling.last(master.id).byeGate = new Gate();
    const hangup = h.service.hangup(master.id);
    await new Promise((r) => setImmediate(r));
    assert.equal((await current(h, master.id)).status, 'terminating');
    const attemptsBefore = h.signaling.attempts.length;
    await assert.rejects(h.service.createOutgoing(outgoingRequest({ master_call_id: master.id })), {
      code: 'CALL_STATE_INVALID',
    });
    h.signaling.last(master.id).byeGate?.open();
    await hangup;
    await assert.rejects(h.service.createOutgoing(outgoingRequest({ master_call_id: master.id })), {
      code: 'CALL_STATE_INVALID',
    });
    assert.equal(h.signaling.attempts.length, attemptsBefore);
    assert.equal(h.store.rows.size, 1);
  });

  it('a chain request queued behind the master hangup sees the hangup (no chained call escapes the cascade)', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const master = await dialOne(h);
    const hangup = h.service.hangup(master.id);
    const chain = h.service.createOutgoing(outgoingRequest({ master_call_id: master.id }));
    await hangup;
    await assert.rejects(chain, { code: 'CALL_STATE_INVALID' });
  });

  it('404 CALL_NOT_FOUND for an unknown master', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    await assert.rejects(
      h.service.createOutgoing(outgoingRequest({ master_call_id: 'f0000000-0000-4000-8000-000000000000' })),
      { code: 'CALL_NOT_FOUND' },
    );
  });

  it('master hangup cascades: answered chained calls get BYE (normal), ringing ones get CANCEL (cancel)', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const { call: master } = await acceptOne(h);
    await h.service.answer(master.id);
    const [answered, ringing] = await h.service.createOutgoing(
      outgoingRequest({
        master_call_id: master.id,
        destinations: [address('tel', '+821012345678'), address('tel', '+821087654321')],
      }),
    );
    assert.ok(answered && ringing);
    await h.service.whenIdle();
    await answerOutgoing(h, answered.id);
    h.signaling.last(ringing.id).ring();
    await h.service.whenIdle();
    await h.service.hangup(master.id);
    await h.service.whenIdle();
    const a = await current(h, answered.id);
    const r = await current(h, ringing.id);
    assert.deepEqual([a.status, a.hangup_by, a.hangup_reason], ['hangup', 'local', 'normal']);
    assert.deepEqual([r.status, r.hangup_by, r.hangup_reason], ['hangup', 'local', 'cancel']);
    assert.ok(h.store.eventsOf(answered.id).includes('call_terminating'));
    assert.ok(h.store.eventsOf(ringing.id).includes('call_canceling'));
  });

  it("a chained call's hangup never hangs up the master", async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const { call: master } = await acceptOne(h);
    const [chained] = await h.service.createOutgoing(outgoingRequest({ master_call_id: master.id }));
    assert.ok(chained);
    await h.service.whenIdle();
    h.signaling.last(chained.id).fail(486);
    await h.service.whenIdle();
    assert.equal((await current(h, chained.id)).status, 'hangup');
    assert.equal((await current(h, master.id)).status, 'ringing');
  });
});
