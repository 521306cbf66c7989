import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { HANGUP_RULES, attemptFailureCause, dialTimerCause, rejectStatusFor } from './hangup-reasons.ts';
import type { AttemptFailure } from './hangup-reasons.ts';

function outcome(failure: AttemptFailure, sawRinging = false) {
  const rule = HANGUP_RULES[attemptFailureCause(failure, sawRinging)];
  return `${rule.hangup_by}/${rule.hangup_reason}/${rule.failover ? 'failover' : 'final'}`;
}

describe('hangup table', () => {
  for (const status of [486, 600]) {
    it(`${status} is remote/busy without failover`, () =>
      assert.equal(outcome({ kind: 'status', sip_status: status }), 'remote/busy/final'));
  }
  for (const status of [480, 603]) {
    it(`${status} is remote/noanswer without failover`, () =>
      assert.equal(outcome({ kind: 'status', sip_status: status }), 'remote/noanswer/final'));
  }
  it('408 after a 18x is remote/noanswer', () =>
    assert.equal(outcome({ kind: 'status', sip_status: 408 }, true), 'remote/noanswer/final'));
  it('408 with no 18x is a failure that fails over', () =>
    assert.equal(outcome({ kind: 'status', sip_status: 408 }, false), 'remote/failed/failover'));
  for (const status of [500, 502, 503, 504, 404, 484, 403, 488, 606]) {
    it(`${status} is remote/failed with failover`, () =>
      assert.equal(outcome({ kind: 'status', sip_status: status }), 'remote/failed/failover'));
  }
  it('no response at all is remote/failed with failover', () =>
    assert.equal(outcome({ kind: 'timeout' }), 'remote/failed/failover'));
  it('a transport error is remote/failed with failover', () =>
    assert.equal(outcome({ kind: 'transport' }), 'remote/failed/failover'));
  it('the dial timer is dialout before any 18x and noanswer after one', () => {
    assert.equal(HANGUP_RULES[dialTimerCause(false)].hangup_reason, 'dialout');
    assert.equal(HANGUP_RULES[dialTimerCause(true)].hangup_reason, 'noanswer');
    assert.equal(HANGUP_RULES[dialTimerCause(true)].hangup_by, 'remote');
  });
  it('names the remaining rows as docs/calls.md does', () => {
    const brief = Object.fromEntries(
      Object.entries(HANGUP_RULES).map(([k, r]) => [k, `${r.hangup_by}/${r.hangup_reason}`]),
    );
    assert.deepEqual(
      {
        remote_bye: brief['remote_bye'],
        local_hangup: brief['local_hangup'],
        local_cancel: brief['local_cancel'],
        remote_cancel: brief['remote_cancel'],
        max_duration: brief['max_duration'],
        amd: brief['amd'],
        reconcile: brief['reconcile'],
      },
      {
        remote_bye: 'remote/normal',
        local_hangup: 'local/normal',
        local_cancel: 'local/cancel',
        remote_cancel: 'remote/cancel',
        max_duration: 'local/timeout',
        amd: 'local/amd',
        reconcile: 'local/failed',
      },
    );
  });
  it('only failures fail over', () => {
    const failingOver = Object.entries(HANGUP_RULES)
      .filter(([, r]) => r.failover)
      .map(([, r]) => r.hangup_reason);
    assert.ok(failingOver.length > 0);
    assert.ok(failingOver.every((r) => r === 'failed'));
  });
  it('rejects an unanswered incoming call with 486 for busy, 480 for noanswer, 603 otherwise', () => {
    assert.equal(rejectStatusFor('busy'), 486);
    assert.equal(rejectStatusFor('noanswer'), 480);
    for (const r of ['normal', 'failed', 'cancel', 'timeout', 'dialout', 'amd'] as const)
      assert.equal(rejectStatusFor(r), 603);
  });
});
