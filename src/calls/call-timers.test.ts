import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { makeHarness } from './testing/fake-ports.ts';
import { acceptOne, answerOutgoing, current, dialOne, useRoutes } from './testing/call-fixtures.ts';

describe('call timers on the injected clock', () => {
  it('dial timeout with no 18x at all ends the call remote/dialout and CANCELs', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h);
    h.clock.advance(59_999);
    await h.service.whenIdle();
    assert.equal((await current(h, call.id)).status, 'dialing');
    h.clock.advance(1);
    await h.service.whenIdle();
    const ended = await current(h, call.id);
    assert.deepEqual([ended.hangup_by, ended.hangup_reason], ['remote', 'dialout']);
    assert.deepEqual(h.signaling.last(call.id).log, ['cancel']);
    assert.equal(ended.route_attempts[0]?.reason, 'dialout');
  });

  it('dial timeout after a 18x ends the call remote/noanswer and CANCELs', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h, { dial_timeout: 20 });
    h.signaling.last(call.id).ring();
    await h.service.whenIdle();
    h.clock.advance(20_000);
    await h.service.whenIdle();
    const ended = await current(h, call.id);
    assert.deepEqual([ended.hangup_by, ended.hangup_reason], ['remote', 'noanswer']);
    assert.deepEqual(h.signaling.last(call.id).log, ['cancel']);
  });

  it('an answered call is not touched by its dial timer', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h);
    await answerOutgoing(h, call.id);
    h.clock.advance(120_000);
    await h.service.whenIdle();
    assert.equal((await current(h, call.id)).status, 'progressing');
  });

  it('max duration ends an answered call local/timeout with a BYE', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const call = await dialOne(h, { max_duration: 30 });
    await answerOutgoing(h, call.id);
    h.clock.advance(29_999);
    await h.service.whenIdle();
    assert.equal((await current(h, call.id)).status, 'progressing');
    h.clock.advance(1);
    await h.service.whenIdle();
    const ended = await current(h, call.id);
    assert.deepEqual([ended.hangup_by, ended.hangup_reason], ['local', 'timeout']);
    assert.deepEqual(h.signaling.last(call.id).log, ['bye']);
    assert.deepEqual(h.store.eventsOf(call.id).slice(-4), [
      'call_updated(terminating)',
      'call_terminating',
      'call_updated(hangup)',
      'call_hangup',
    ]);
  });

  it('max duration defaults to one hour', async () => {
    const h = makeHarness();
    const { call } = await acceptOne(h);
    await h.service.answer(call.id);
    h.clock.advance(3_599_999);
    await h.service.whenIdle();
    assert.equal((await current(h, call.id)).status, 'progressing');
    h.clock.advance(1);
    await h.service.whenIdle();
    assert.equal((await current(h, call.id)).hangup_reason, 'timeout');
  });

  it('an incoming call whose flow did not answer within 60 s is rejected 480 (local/noanswer)', async () => {
    const h = makeHarness();
    const { call, leg } = await acceptOne(h);
    h.clock.advance(60_000);
    await h.service.whenIdle();
    const ended = await current(h, call.id);
    assert.deepEqual([ended.hangup_by, ended.hangup_reason], ['local', 'noanswer']);
    assert.deepEqual(leg.log, ['180', '480']);
  });

  it('an answered incoming call is not rejected by the answer timer', async () => {
    const h = makeHarness();
    const { call } = await acceptOne(h);
    await h.service.answer(call.id);
    h.clock.advance(60_000);
    await h.service.whenIdle();
    assert.equal((await current(h, call.id)).status, 'progressing');
  });

  it('timer lengths are configurable and no timer outlives a hung-up call', async () => {
    const h = makeHarness({ timers: { dialTimeoutMs: 5_000 } });
    useRoutes(h, 1);
    const call = await dialOne(h);
    h.clock.advance(5_000);
    await h.service.whenIdle();
    assert.equal((await current(h, call.id)).hangup_reason, 'dialout');
    assert.equal(h.clock.pending, 0);
  });
});
