import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startSipp } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  SIPP_FIXTURES,
  createNumberWithFlow,
  createProvider,
  createRoute,
  expectStatus,
  startSippProvider,
  startTestCallbin,
  statusTrail,
  waitForCall,
  waitForListedCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';
import { SippTwin, TonePartyRtp } from '../support/connect-peers.ts';
import { freeMediaPort, freePort } from '../support/sipp.ts';

const CALLEE = '+15550005000';
/** The callee's announcement and the caller's voice. */
const ANNOUNCEMENT_HZ = 700;
const CALLER_HZ = 400;
/** Packets the callee's socket must get from callbin while early, before silence at the caller counts. */
const EARLY_WINDOW_PACKETS = 50;

/** Resolves once `done()` holds; rejects after `timeoutMs` (a bound on a hang, not a measurement). */
async function until(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('connect early_media: the caller hears the callee before its 200 (RFC 3960)', () => {
  let cb: TestCallbin;
  let twin: SippTwin;
  let sipps: SippProcess[];
  let sockets: TonePartyRtp[];

  beforeEach(async () => {
    cb = await startTestCallbin();
    twin = await SippTwin.open();
    sipps = [];
    sockets = [];
  });

  afterEach(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await Promise.all(sockets.map((s) => s.close()));
    await twin.close();
    await cb.close();
  });

  /**
   * A caller dialling a number whose flow is `connect` (no `answer` first) to a callee that answers 183
   * with SDP and plays its announcement until the test lets it answer.
   */
  async function start(earlyMedia: boolean, number: string) {
    const callee = await TonePartyRtp.open(ANNOUNCEMENT_HZ, [CALLER_HZ]);
    const caller = await TonePartyRtp.open(CALLER_HZ, [ANNOUNCEMENT_HZ]);
    sockets.push(callee, caller);
    const provider = await startSippProvider('connect-uas-early-media.xml', [
      '-key',
      'rtp_port',
      String(callee.port),
      '-3pcc',
      twin.address,
    ]);
    sipps.push(provider.sipp);
    await createRoute(cb, await createProvider(cb, provider.port), 1, '+1');
    await createNumberWithFlow(cb, number, [
      { type: 'connect', option: { destinations: [{ type: 'tel', target: CALLEE }], early_media: earlyMedia } },
      { type: 'hangup' },
    ]);
    const callerSipp = await startSipp([
      '-sf',
      `${SIPP_FIXTURES}connect-uac-early-media.xml`,
      `127.0.0.1:${cb.sipPort}`,
      '-i',
      '127.0.0.1',
      '-p',
      String(await freePort('udp')),
      '-mp',
      String(await freeMediaPort()),
      '-m',
      '1',
      '-s',
      number,
      '-key',
      'rtp_port',
      String(caller.port),
      '-3pcc',
      twin.address,
    ]);
    sipps.push(callerSipp);
    /** What happened, in the order the test saw it. */
    const timeline: string[] = [];
    caller.onFrame = (_frame, tones) => {
      if (tones.includes(ANNOUNCEMENT_HZ) && !timeline.includes('caller heard the announcement'))
        timeline.push('caller heard the announcement');
    };
    const early = await twin.next('callee-early');
    const master = await waitForListedCall(cb, (c) => c.direction === 'incoming');
    return { callee, caller, callerSipp, calleeSipp: provider.sipp, early, master, timeline };
  }

  it('early_media true: 183 with SDP to the caller, the announcement before the 200, then both ways after it', async () => {
    const { callee, caller, callerSipp, calleeSipp, early, master, timeline } = await start(true, '+15550005100');
    await until(() => timeline.includes('caller heard the announcement'), "the callee's early audio at the caller");
    const ringing = expectStatus(await cb.api('GET', `/v1.0/calls/${master.id}`), 200);
    assert.equal(ringing.status, 'ringing', 'the caller hears early media unanswered');

    early.reply();
    const answered = await twin.next('caller-answered');
    timeline.push('caller got 200');
    assert.deepEqual(timeline, ['caller heard the announcement', 'caller got 200'], 'audio before the 200');
    assert.equal(answered.headers.get('x-sdp-183'), 'm=audio', 'the caller got 183 with SDP before its 200');

    // After the answer the bridge goes on: the announcement still reaches the caller, the caller reaches the callee.
    const [callerMark, calleeMark] = [caller.mark(), callee.mark()];
    await until(
      () => caller.since(callerMark, ANNOUNCEMENT_HZ) >= 25 && callee.since(calleeMark, CALLER_HZ) >= 25,
      'audio both ways after the answer',
    );
    console.log(
      `early media: caller heard ${caller.since(0, ANNOUNCEMENT_HZ)} announcement packets in all, the callee ${callee.since(0, CALLER_HZ)} of the caller's`,
    );

    const chained = await waitForListedCall(cb, (c) => c.direction === 'outgoing');
    await waitForCall(cb, chained.id, (c) => c.status === 'progressing');
    expectStatus(await cb.api('POST', `/v1.0/calls/${master.id}/hangup`, {}), 200);
    await waitForCall(cb, master.id, (c) => c.status === 'hangup');
    assert.deepEqual(await statusTrail(cb, master.id), ['ringing', 'progressing', 'terminating', 'hangup']);
    assert.equal((await callerSipp.exited).code, 0, 'the caller got 183, 200 and our BYE');
    assert.equal((await calleeSipp.exited).code, 0, 'the callee got ACK and our BYE');
  });

  it('early_media false: the callee plays its announcement, the caller hears none of it until the 200', async () => {
    const { callee, caller, callerSipp, early, master, timeline } = await start(false, '+15550005101');
    // callbin sends to the callee's socket from the 183 on, so the announcement is coming back all along.
    await until(() => callee.mark() >= EARLY_WINDOW_PACKETS, 'callbin reaching the early callee');
    const mark = caller.mark();
    await until(() => callee.mark() >= 2 * EARLY_WINDOW_PACKETS, 'the early window');
    assert.equal(caller.since(0, ANNOUNCEMENT_HZ), 0, 'no early audio reached the caller');
    assert.equal(timeline.length, 0);
    console.log(`early media off: the caller got ${caller.mark() - mark} packets, none of the announcement`);

    early.reply();
    const answered = await twin.next('caller-answered');
    assert.equal(answered.headers.get('x-sdp-183'), '', 'no 183 with SDP went to the caller');
    const after = caller.mark();
    await until(() => caller.since(after, ANNOUNCEMENT_HZ) >= 25, 'the callee after the answer');
    expectStatus(await cb.api('POST', `/v1.0/calls/${master.id}/hangup`, {}), 200);
    assert.equal((await callerSipp.exited).code, 0);
  });
});
