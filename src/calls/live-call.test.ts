import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { silentLogger } from '../shared/index.ts';
import type { Logger } from '../shared/index.ts';
import { HoldSignal } from './hold-signal.ts';
import { Gate, makeHarness } from './testing/fake-ports.ts';
import { answerOutgoing, current, dialOne, useRoutes } from './testing/call-fixtures.ts';
import type { Harness } from './testing/call-fixtures.ts';
import type { CallLeg } from './ports.ts';

/** A logger that keeps the messages of `error` lines. */
function recordingLogger(errors: string[]): Logger {
  const logger: Logger = { ...silentLogger, error: (obj, msg) => errors.push(msg ?? String(obj)), child: () => logger };
  return logger;
}

async function answeredCall(h: Harness) {
  useRoutes(h, 1);
  const call = await dialOne(h);
  await answerOutgoing(h, call.id);
  return { call, attempt: h.signaling.last(call.id) };
}

describe('a listener of call events that throws', () => {
  it('does not fail the operation whose change was stored: the hangup completes, is logged, and others still hear it', async () => {
    const errors: string[] = [];
    const h = makeHarness({ logger: recordingLogger(errors) });
    const { call } = await answeredCall(h);
    const heard: string[] = [];
    h.service.onEvent(() => {
      throw new Error('listener bug');
    });
    h.service.onEvent((e) => heard.push(e.type));
    const ended = await h.service.hangup(call.id);
    await h.service.whenIdle();
    assert.equal(ended.status, 'hangup');
    assert.deepEqual(heard.slice(-1), ['call_hangup']);
    assert.ok(errors.includes('a call event listener threw'));
    // The hangup finished its work: the call left the registry and its flow was stopped.
    assert.deepEqual(h.service.listLive(), []);
    assert.equal((await current(h, call.id)).status, 'hangup');
  });
});

describe('parentClosed: a child told its parent closed cleans up without calling back', () => {
  it('CallService.close stops every call timer and re-INVITE, and keeps the calls as they are', async () => {
    const h = makeHarness({ timers: { maxDurationMs: 1_000 } });
    const { call, attempt } = await answeredCall(h);
    const gate = new Gate();
    attempt.reinviteGate = gate;
    await h.service.setHold(call.id, true);
    await h.service.setHold(call.id, false);
    h.service.close();
    attempt.reinviteGate = undefined;
    gate.open();
    h.clock.advance(5_000);
    await h.service.whenIdle();
    assert.deepEqual(attempt.log, ['hold'], 'the unhold wanted before close was never sent');
    assert.equal((await current(h, call.id)).status, 'progressing', 'the max-duration timer did not fire');
    assert.deepEqual(
      h.service.listLive().map((c) => c.id),
      [call.id],
      'the call was not removed through the service',
    );
  });

  it('a call leaving progressing closes its hold signal: a pending change is not sent after the BYE', async () => {
    const h = makeHarness();
    const { call, attempt } = await answeredCall(h);
    const gate = new Gate();
    attempt.reinviteGate = gate;
    await h.service.setHold(call.id, true);
    await h.service.setHold(call.id, false);
    await h.service.hangup(call.id);
    attempt.reinviteGate = undefined;
    gate.open();
    await h.service.whenIdle();
    assert.deepEqual(attempt.log, ['hold', 'bye']);
  });

  it('a HoldSignal closed before it is asked sends nothing', async () => {
    const sent: string[] = [];
    const leg = {
      hold: async () => void sent.push('hold'),
      unhold: async () => void sent.push('unhold'),
    } as unknown as CallLeg;
    const work: Promise<unknown>[] = [];
    const signal = new HoldSignal(leg, { logger: silentLogger, background: (p) => work.push(p), name: 'test' });
    signal.parentClosed();
    signal.want(true);
    await Promise.all(work);
    assert.deepEqual(sent, []);
    assert.equal(work.length, 0);
  });
});
