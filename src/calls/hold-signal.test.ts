import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { SipResponseError, TransactionTimeoutError } from '../shared/index.ts';
import { Gate, makeHarness } from './testing/fake-ports.ts';
import { answerOutgoing, current, dialOne, useRoutes } from './testing/call-fixtures.ts';
import type { Harness } from './testing/call-fixtures.ts';

async function answeredCall(h: Harness) {
  useRoutes(h, 1);
  const call = await dialOne(h);
  await answerOutgoing(h, call.id);
  const attempt = h.signaling.last(call.id);
  return { call, attempt, legId: attempt.leg_id };
}

describe('hold does not wait for the re-INVITE (RFC 3261 §14.1 in the background)', () => {
  it('hold answers while the re-INVITE is unanswered; the leg is held locally first; the call queue stays free', async () => {
    const h = makeHarness();
    const { call, attempt, legId } = await answeredCall(h);
    attempt.reinviteGate = new Gate();
    const held = await h.service.setHold(call.id, true);
    assert.equal(held.hold, true);
    assert.deepEqual(h.media.log, [`held ${legId} true`]);
    assert.deepEqual(attempt.log, ['hold'], 'the re-INVITE was sent and is still pending');
    // Another control on the same call is not stuck behind the pending re-INVITE.
    assert.equal((await h.service.setMute(call.id, 'in', true)).mute_direction, 'in');
    attempt.reinviteGate.open();
    await h.service.whenIdle();
  });

  it('one re-INVITE at a time: changes asked for while one is pending are sent after it, only the latest', async () => {
    const h = makeHarness();
    const { call, attempt, legId } = await answeredCall(h);
    const gate = new Gate();
    attempt.reinviteGate = gate;
    await h.service.setHold(call.id, true);
    await h.service.setHold(call.id, false);
    await h.service.setHold(call.id, true);
    await h.service.setHold(call.id, false);
    assert.deepEqual(attempt.log, ['hold'], 'no second INVITE transaction while one is pending');
    assert.deepEqual(
      h.media.log,
      [true, false, true, false].map((on) => `held ${legId} ${on}`),
      'the leg follows every change at once',
    );
    attempt.reinviteGate = undefined;
    gate.open();
    await h.service.whenIdle();
    assert.deepEqual(
      attempt.log,
      ['hold', 'unhold'],
      'the far end is told the latest state once the first re-INVITE ended',
    );
  });

  it('a re-INVITE refused (488) leaves the call up and held locally, and is never an error of the request', async () => {
    const h = makeHarness();
    const { call, attempt } = await answeredCall(h);
    attempt.reinviteError = new SipResponseError(488, 'Not Acceptable Here');
    assert.equal((await h.service.setHold(call.id, true)).hold, true);
    await h.service.whenIdle();
    const now = await current(h, call.id);
    assert.deepEqual([now.status, now.hold], ['progressing', true]);
    // The far end never accepted the hold: taking it off sends nothing (the session is unchanged).
    await h.service.setHold(call.id, false);
    await h.service.whenIdle();
    assert.deepEqual(attempt.log, ['hold']);
  });

  it('a re-INVITE without an answer ends the dialog: the call hangs up remote/failed with an event', async () => {
    const h = makeHarness();
    const { call, attempt } = await answeredCall(h);
    attempt.reinviteGate = new Gate();
    attempt.reinviteError = new TransactionTimeoutError('INVITE');
    assert.equal((await h.service.setHold(call.id, true)).hold, true);
    // What the SIP adapter reports when Timer B fires (it has sent the BYE): the dialog failed.
    attempt.remoteBye({ failed: true });
    attempt.reinviteGate.open();
    await h.service.whenIdle();
    const ended = await current(h, call.id);
    assert.deepEqual([ended.status, ended.hangup_by, ended.hangup_reason], ['hangup', 'remote', 'failed']);
    assert.ok(h.store.eventsOf(call.id).includes('call_hangup'));
  });
});
