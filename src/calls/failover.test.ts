import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { makeHarness } from './testing/fake-ports.ts';
import { current, dialOne, useRoutes } from './testing/call-fixtures.ts';
import type { Harness } from './testing/call-fixtures.ts';

function attemptsOf(h: Harness, callId: string): Promise<string[]> {
  return current(h, callId).then((c) =>
    c.route_attempts.map(
      (a) => `${a.provider_id}:${a.reason}:${a.sip_status}${a.tm_end === undefined ? ':running' : ''}`,
    ),
  );
}

describe('route failover', () => {
  it('503, then no response, then 200: one call, three route attempts, one call_hangup at the end', async () => {
    const h = makeHarness();
    useRoutes(h, 3);
    const call = await dialOne(h);
    h.signaling.last(call.id).fail(503);
    await h.service.whenIdle();
    h.signaling.last(call.id).fail({ kind: 'timeout' });
    await h.service.whenIdle();
    h.signaling.last(call.id).ring();
    h.signaling.last(call.id).answer();
    await h.service.whenIdle();
    assert.deepEqual(
      h.signaling.of(call.id).map((a) => (a.request.target.kind === 'provider' ? a.request.target.provider.id : '?')),
      ['p1', 'p2', 'p3'],
    );
    assert.deepEqual(await attemptsOf(h, call.id), ['p1:failed:503', 'p2:failed:0', 'p3:answered:200']);
    assert.equal((await current(h, call.id)).status, 'progressing');
    await h.service.hangup(call.id);
    const events = h.store.eventsOf(call.id);
    assert.deepEqual(events, [
      'call_created',
      'call_updated(dialing)',
      'call_updated(dialing)',
      'call_updated(ringing)',
      'call_ringing',
      'call_updated(progressing)',
      'call_progressing',
      'call_updated(terminating)',
      'call_terminating',
      'call_updated(hangup)',
      'call_hangup',
    ]);
    assert.equal(h.store.rows.size, 1);
  });

  it('486 on the first route ends the call busy; the second route is never tried', async () => {
    const h = makeHarness();
    useRoutes(h, 2);
    const call = await dialOne(h);
    h.signaling.last(call.id).fail(486);
    await h.service.whenIdle();
    assert.equal(h.signaling.of(call.id).length, 1);
    const ended = await current(h, call.id);
    assert.deepEqual([ended.status, ended.hangup_by, ended.hangup_reason], ['hangup', 'remote', 'busy']);
    assert.deepEqual(await attemptsOf(h, call.id), ['p1:busy:486']);
  });

  it('keeps the status where it was: a failure after 180 retries while still ringing', async () => {
    const h = makeHarness();
    useRoutes(h, 2);
    const call = await dialOne(h);
    h.signaling.last(call.id).ring();
    h.signaling.last(call.id).fail(500);
    await h.service.whenIdle();
    assert.equal(h.signaling.of(call.id).length, 2);
    assert.equal((await current(h, call.id)).status, 'ringing');
  });

  it('the last route failing ends the call remote/failed', async () => {
    const h = makeHarness();
    useRoutes(h, 2);
    const call = await dialOne(h);
    h.signaling.last(call.id).fail({ kind: 'transport' });
    await h.service.whenIdle();
    h.signaling.last(call.id).fail(404);
    await h.service.whenIdle();
    const ended = await current(h, call.id);
    assert.deepEqual([ended.hangup_by, ended.hangup_reason], ['remote', 'failed']);
    assert.deepEqual(await attemptsOf(h, call.id), ['p1:failed:0', 'p2:failed:404']);
    assert.deepEqual(h.store.eventsOf(call.id), [
      'call_created',
      'call_updated(dialing)',
      'call_updated(hangup)',
      'call_hangup',
    ]);
  });

  it('skips an unhealthy provider and records the skip', async () => {
    const h = makeHarness();
    useRoutes(h, 3);
    const call = await dialOne(h);
    h.routing.unhealthy.add('p2');
    h.signaling.last(call.id).fail(503);
    await h.service.whenIdle();
    assert.deepEqual(await attemptsOf(h, call.id), ['p1:failed:503', 'p2:unhealthy:0', 'p3::0:running']);
  });

  it('a call whose every provider is down ends local/failed with the skips recorded', async () => {
    const h = makeHarness();
    useRoutes(h, 2);
    h.routing.unhealthy.add('p1').add('p2');
    const call = await dialOne(h);
    assert.deepEqual(
      call.route_attempts.map((a) => a.reason),
      ['unhealthy', 'unhealthy'],
    );
    const ended = await current(h, call.id);
    assert.deepEqual([ended.hangup_by, ended.hangup_reason], ['local', 'failed']);
    assert.equal(h.signaling.attempts.length, 0);
  });

  it('does not fail over for a call with early_execution', async () => {
    const h = makeHarness();
    useRoutes(h, 2);
    const call = await dialOne(h, { early_execution: true });
    h.signaling.last(call.id).ring();
    h.signaling.last(call.id).fail(503);
    await h.service.whenIdle();
    assert.equal(h.signaling.of(call.id).length, 1);
    assert.equal((await current(h, call.id)).hangup_reason, 'failed');
  });

  it('does not fail over for a conference call', async () => {
    const h = makeHarness();
    useRoutes(h, 2);
    const call = await dialOne(h, { type: 'conference' });
    h.signaling.last(call.id).fail(503);
    await h.service.whenIdle();
    assert.equal(h.signaling.of(call.id).length, 1);
  });

  it('ignores a late event of an abandoned attempt', async () => {
    const h = makeHarness();
    useRoutes(h, 2);
    const call = await dialOne(h);
    const first = h.signaling.last(call.id);
    first.fail(503);
    await h.service.whenIdle();
    first.ring();
    await h.service.whenIdle();
    assert.equal((await current(h, call.id)).status, 'dialing');
  });
});

describe('hangup table through the service (unanswered outgoing)', () => {
  const rows: [string, () => Parameters<Harness['signaling']['attempts'][number]['fail']>[0], boolean, string][] = [
    ['486', () => 486, false, 'remote/busy'],
    ['600', () => 600, false, 'remote/busy'],
    ['480', () => 480, false, 'remote/noanswer'],
    ['603', () => 603, false, 'remote/noanswer'],
    ['408 after 18x', () => 408, true, 'remote/noanswer'],
    ['408 before 18x', () => 408, false, 'remote/failed'],
    ['503', () => 503, false, 'remote/failed'],
    ['404', () => 404, false, 'remote/failed'],
    ['484', () => 484, false, 'remote/failed'],
    ['no response', () => ({ kind: 'timeout' }), false, 'remote/failed'],
    ['transport error', () => ({ kind: 'transport' }), false, 'remote/failed'],
  ];
  for (const [name, failure, ringFirst, expected] of rows) {
    it(`${name} ends the call ${expected}`, async () => {
      const h = makeHarness();
      useRoutes(h, 1);
      const call = await dialOne(h);
      if (ringFirst) h.signaling.last(call.id).ring();
      h.signaling.last(call.id).fail(failure());
      await h.service.whenIdle();
      const ended = await current(h, call.id);
      assert.equal(`${ended.hangup_by}/${ended.hangup_reason}`, expected);
      assert.equal(ended.status, 'hangup');
      assert.ok(ended.tm_hangup);
    });
  }
});
