import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { NIL_UUID } from '../shared/index.ts';
import { Gate, makeHarness } from './testing/fake-ports.ts';
import { acceptOne, answerOutgoing, current, dialOne, useRoutes } from './testing/call-fixtures.ts';

describe('outgoing call lifecycle', () => {
  it('emits exactly call_created, ringing, progressing, terminating, hangup in order for a full call', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h);
    assert.equal(call.status, 'dialing');
    assert.notEqual(call.activeflow_id, NIL_UUID);
    assert.equal(h.signaling.of(call.id).length, 1);
    await answerOutgoing(h, call.id);
    await h.service.hangup(call.id);
    assert.deepEqual(h.store.eventsOf(call.id), [
      'call_created',
      'call_updated(ringing)',
      'call_ringing',
      'call_updated(progressing)',
      'call_progressing',
      'call_updated(terminating)',
      'call_terminating',
      'call_updated(hangup)',
      'call_hangup',
    ]);
    const ended = await current(h, call.id);
    assert.deepEqual([ended.hangup_by, ended.hangup_reason], ['local', 'normal']);
    assert.ok(ended.tm_ringing && ended.tm_progressing && ended.tm_hangup);
    assert.deepEqual(h.signaling.last(call.id).log, ['bye']);
    assert.equal(h.clock.pending, 0);
  });

  it('starts the flow at answer, not before', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h);
    h.signaling.last(call.id).ring();
    await h.service.whenIdle();
    assert.deepEqual(h.flows.executed, []);
    h.signaling.last(call.id).answer();
    await h.service.whenIdle();
    assert.deepEqual(h.flows.executed, [call.activeflow_id]);
  });

  it('starts the flow at ringing with early_execution', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h, { early_execution: true });
    h.signaling.last(call.id).ring(183);
    await h.service.whenIdle();
    assert.deepEqual(h.flows.executed, [call.activeflow_id]);
  });

  it('API hangup while ringing goes canceling, sends CANCEL and ends local/cancel', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h);
    h.signaling.last(call.id).ring();
    await h.service.whenIdle();
    const ended = await h.service.hangup(call.id);
    assert.deepEqual([ended.status, ended.hangup_by, ended.hangup_reason], ['hangup', 'local', 'cancel']);
    assert.deepEqual(h.store.eventsOf(call.id).slice(-4), [
      'call_updated(canceling)',
      'call_canceling',
      'call_updated(hangup)',
      'call_hangup',
    ]);
    assert.deepEqual(h.signaling.last(call.id).log, ['cancel']);
    assert.equal(ended.route_attempts[0]?.reason, 'cancel');
  });

  it('a 2xx that crosses the CANCEL is ended with a BYE and does not revive the call', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h);
    await h.service.hangup(call.id);
    h.signaling.last(call.id).answer();
    await h.service.whenIdle();
    assert.deepEqual(h.signaling.last(call.id).log, ['cancel', 'bye']);
    assert.equal((await current(h, call.id)).status, 'hangup');
  });

  it('remote BYE after answer ends remote/normal', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h);
    await answerOutgoing(h, call.id);
    h.signaling.last(call.id).remoteBye();
    await h.service.whenIdle();
    const ended = await current(h, call.id);
    assert.deepEqual([ended.hangup_by, ended.hangup_reason], ['remote', 'normal']);
    assert.deepEqual(h.flows.stopped, [call.activeflow_id]);
  });

  it('an explicit amd reason on an answered call ends local/amd; other reasons end normal', async () => {
    const h = makeHarness();
    useRoutes(h, 2);
    const a = await dialOne(h);
    await answerOutgoing(h, a.id);
    assert.equal((await h.service.hangup(a.id, { reason: 'amd' })).hangup_reason, 'amd');
    const b = await dialOne(h);
    await answerOutgoing(h, b.id);
    assert.equal((await h.service.hangup(b.id, { reason: 'busy' })).hangup_reason, 'normal');
  });

  it('hangup_by and hangup_reason are set once: a late BYE changes nothing', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h);
    await answerOutgoing(h, call.id);
    await h.service.hangup(call.id);
    const before = h.store.events.length;
    h.signaling.last(call.id).remoteBye();
    await h.service.whenIdle();
    assert.equal(h.store.events.length, before);
    assert.equal((await current(h, call.id)).hangup_by, 'local');
  });

  it('the flow ending hangs the call up; the flow of a redirected-away activeflow does not', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h);
    await answerOutgoing(h, call.id);
    const redirected = await h.service.redirect(call.id, { actions: [] });
    assert.notEqual(redirected.activeflow_id, call.activeflow_id);
    assert.deepEqual(h.flows.stopped, [call.activeflow_id]);
    assert.deepEqual(h.flows.executed, [call.activeflow_id, redirected.activeflow_id]);
    await h.service.flowEnded(call.id, call.activeflow_id);
    assert.equal((await current(h, call.id)).status, 'progressing');
    await h.service.flowEnded(call.id, redirected.activeflow_id);
    await h.service.whenIdle();
    const ended = await current(h, call.id);
    assert.deepEqual([ended.status, ended.hangup_by, ended.hangup_reason], ['hangup', 'local', 'normal']);
  });

  it('a hangup racing a remote BYE never interleaves: the BYE waits and the call ends local/normal', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h);
    await answerOutgoing(h, call.id);
    const attempt = h.signaling.last(call.id);
    attempt.byeGate = new Gate();
    const hangup = h.service.hangup(call.id);
    await new Promise((r) => setImmediate(r));
    attempt.remoteBye();
    await new Promise((r) => setImmediate(r));
    // Our BYE is still in flight: the remote BYE must not have ended the call meanwhile.
    assert.equal((await current(h, call.id)).status, 'terminating');
    attempt.byeGate.open();
    const ended = await hangup;
    await h.service.whenIdle();
    assert.deepEqual([ended.hangup_by, ended.hangup_reason], ['local', 'normal']);
    assert.equal(h.store.eventsOf(call.id).filter((e) => e === 'call_hangup').length, 1);
  });

  it('a hangup racing 18x/2xx events never interleaves with them', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h);
    const attempt = h.signaling.last(call.id);
    attempt.cancelGate = new Gate();
    const hangup = h.service.hangup(call.id);
    await new Promise((r) => setImmediate(r));
    // While CANCEL is in flight the far end answers and rings; those events must wait their turn.
    attempt.ring();
    attempt.answer();
    await new Promise((r) => setImmediate(r));
    assert.equal((await current(h, call.id)).status, 'canceling');
    attempt.cancelGate.open();
    await hangup;
    await h.service.whenIdle();
    assert.deepEqual(h.store.eventsOf(call.id), [
      'call_created',
      'call_updated(canceling)',
      'call_canceling',
      'call_updated(hangup)',
      'call_hangup',
    ]);
    assert.deepEqual(attempt.log, ['cancel', 'bye']);
  });
});

describe('incoming call lifecycle', () => {
  it('is created ringing, sends 180 and starts its flow at once', async () => {
    const h = makeHarness();
    const { call, leg } = await acceptOne(h);
    assert.equal(call.status, 'ringing');
    assert.equal(call.direction, 'incoming');
    assert.equal(call.tm_ringing, call.tm_create);
    assert.deepEqual(leg.log, ['180']);
    assert.deepEqual(h.flows.executed, [call.activeflow_id]);
    assert.deepEqual(h.store.eventsOf(call.id), ['call_created']);
  });

  it('answer sends 200 and moves to progressing; a later answer is a no-op', async () => {
    const h = makeHarness();
    const { call, leg } = await acceptOne(h);
    assert.equal((await h.service.answer(call.id)).status, 'progressing');
    assert.equal((await h.service.answer(call.id)).status, 'progressing');
    assert.deepEqual(leg.log, ['180', '200']);
    assert.deepEqual(h.store.eventsOf(call.id), ['call_created', 'call_updated(progressing)', 'call_progressing']);
  });

  it('CANCEL received before answer ends remote/cancel', async () => {
    const h = makeHarness();
    const { call, leg } = await acceptOne(h);
    leg.events?.remoteCancel();
    await h.service.whenIdle();
    const ended = await current(h, call.id);
    assert.deepEqual([ended.status, ended.hangup_by, ended.hangup_reason], ['hangup', 'remote', 'cancel']);
    assert.equal(h.clock.pending, 0);
  });

  for (const [reason, status] of [
    ['busy', '486'],
    ['noanswer', '480'],
    ['normal', '603'],
    ['failed', '603'],
  ] as const) {
    it(`hangup with reason ${reason} before answer rejects ${status} and ends local/${reason} through terminating`, async () => {
      const h = makeHarness();
      const { call, leg } = await acceptOne(h);
      const ended = await h.service.hangup(call.id, { reason });
      assert.deepEqual([ended.hangup_by, ended.hangup_reason], ['local', reason]);
      assert.deepEqual(leg.log, ['180', status]);
      assert.deepEqual(h.store.eventsOf(call.id).slice(1, 3), ['call_updated(terminating)', 'call_terminating']);
    });
  }

  it('never enters canceling (outgoing only)', async () => {
    const h = makeHarness();
    const { call } = await acceptOne(h);
    await h.service.hangup(call.id);
    assert.ok(!h.store.eventsOf(call.id).includes('call_canceling'));
  });

  it('an answered incoming call hung up locally sends BYE and ends local/normal', async () => {
    const h = makeHarness();
    const { call, leg } = await acceptOne(h);
    await h.service.answer(call.id);
    const ended = await h.service.hangup(call.id);
    assert.deepEqual([ended.hangup_by, ended.hangup_reason], ['local', 'normal']);
    assert.deepEqual(leg.log, ['180', '200', 'bye']);
  });

  it('a flow that cannot be created rejects the INVITE 480 and creates no call', async () => {
    const h = makeHarness();
    const { FakeIncomingLeg, address } = await import('./testing/fake-ports.ts');
    const leg = new FakeIncomingLeg();
    await assert.rejects(
      h.service.acceptIncoming({
        customer_id: 'c',
        source: address('tel', '+15550002222'),
        destination: address('tel', '+15550003333'),
        flow: { flow_id: 'unknown' },
        leg,
      }),
      { code: 'FLOW_NOT_FOUND' },
    );
    assert.deepEqual(leg.log, ['480']);
    assert.equal(h.store.rows.size, 0);
  });
});

describe('crash reconciliation', () => {
  it('moves every call a previous process left live to hangup local/failed, with events', async () => {
    const before = makeHarness();
    useRoutes(before, 1);
    const ringing = await dialOne(before);
    before.signaling.last(ringing.id).ring();
    const answered = await dialOne(before);
    await answerOutgoing(before, answered.id);
    const done = await dialOne(before);
    await before.service.hangup(done.id);
    before.service.close();

    const after = makeHarness();
    for (const [id, row] of before.store.rows) after.store.rows.set(id, row);
    const reconciled = await after.service.reconcile();
    assert.deepEqual(reconciled.map((c) => c.id).sort(), [ringing.id, answered.id].sort());
    for (const id of [ringing.id, answered.id]) {
      const row = await after.store.get(id);
      assert.deepEqual([row?.status, row?.hangup_by, row?.hangup_reason], ['hangup', 'local', 'failed']);
      assert.deepEqual(after.store.eventsOf(id), ['call_updated(hangup)', 'call_hangup']);
    }
    assert.deepEqual(after.store.eventsOf(done.id), []);
    assert.deepEqual(await after.service.reconcile(), []);
  });
});
