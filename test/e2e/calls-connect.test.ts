import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { RtpProbe } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  createNumberWithFlow,
  createProvider,
  createRoute,
  expectStatus,
  startSippCaller,
  startSippProvider,
  startTestCallbin,
  statusTrail,
  waitForCall,
  waitForListedCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CALLEE = '+15550004000';

/** The flow of the master: answer, connect to the callee through the +1 route, then speak and hang up. */
function connectFlow(): unknown[] {
  return [
    { type: 'answer' },
    { type: 'connect', option: { destinations: [{ type: 'tel', target: CALLEE }] } },
    { type: 'talk', option: { text: 'the other party has left the call, goodbye and thank you', language: 'en-US' } },
    { type: 'hangup' },
  ];
}

describe('calls e2e: connect (the two-call model) through the flow engine', () => {
  let cb: TestCallbin;
  let sipps: SippProcess[];
  let probes: RtpProbe[];

  beforeEach(async () => {
    cb = await startTestCallbin();
    sipps = [];
    probes = [];
  });

  afterEach(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await Promise.all(probes.map((p) => p.close()));
    await cb.close();
  });

  /** A sipp provider for `+1` that also trusts INVITEs from 127.0.0.1 (the sipp caller). */
  async function provider(scenario: string, extra: readonly string[] = []): Promise<SippProcess> {
    const p = await startSippProvider(scenario, extra);
    sipps.push(p.sipp);
    await createRoute(cb, await createProvider(cb, p.port), 1, '+1');
    return p.sipp;
  }

  it('two chained calls, audio relayed both ways; the callee BYE ends the bridge and the master flow goes on (talk, hangup)', async () => {
    const callee = await provider('e2e-uas-echo-bye.xml', ['-rtp_echo']);
    await createNumberWithFlow(cb, '+15550003100', connectFlow());
    const probe = await RtpProbe.open();
    probes.push(probe);
    const caller = await startSippCaller(cb, 'calls-uac-incoming.xml', '+15550003100', {
      keys: { rtp_port: String(probe.port) },
    });
    sipps.push(caller);

    const master = await waitForListedCall(cb, (c) => c.direction === 'incoming');
    await waitForCall(cb, master.id, (c) => c.status === 'progressing');
    probe.startTone();
    const chainedListed = await waitForListedCall(cb, (c) => c.direction === 'outgoing');
    const chained = await waitForCall(cb, chainedListed.id, (c) => c.status === 'progressing');
    assert.equal(chained.master_call_id, master.id, 'the callee call follows the master');
    assert.equal(chained.destination.target, CALLEE);
    const masterNow = expectStatus(await cb.api('GET', `/v1.0/calls/${master.id}`), 200);
    assert.deepEqual(masterNow.chained_call_ids, [chained.id]);

    // The tone goes caller -> callbin -> callee (sipp echoes it) -> callbin -> caller.
    await sleep(300);
    probe.reset();
    await sleep(1000);
    const bridgedAudible = probe.audiblePackets;
    assert.ok(
      bridgedAudible > 20,
      `while bridged the caller hears its echo: ${probe.packets} packets, ${bridgedAudible} audible`,
    );

    const chainedEnd = await waitForCall(cb, chained.id, (c) => c.status === 'hangup');
    assert.equal(chainedEnd.hangup_by, 'remote');
    assert.equal(chainedEnd.hangup_reason, 'normal');
    assert.equal((await callee.exited).code, 0, 'the callee sent its BYE and got 200');
    probe.reset();

    const masterEnd = await waitForCall(cb, master.id, (c) => c.status === 'hangup', 20_000);
    assert.ok(
      probe.audiblePackets > 20,
      `after the bridge the master's flow spoke: ${probe.packets} packets, ${probe.audiblePackets} audible`,
    );
    assert.equal(masterEnd.hangup_by, 'local', "the master's flow hung up after its talk");
    assert.equal(masterEnd.hangup_reason, 'normal');
    assert.ok(masterEnd.tm_hangup >= chainedEnd.tm_hangup, 'the master outlived the callee');
    assert.deepEqual(await statusTrail(cb, master.id), ['ringing', 'progressing', 'terminating', 'hangup']);
    assert.equal((await caller.exited).code, 0, 'the caller got our BYE');
    const list = expectStatus(await cb.api('GET', '/v1.0/calls'), 200);
    assert.equal(list.result.length, 2, 'two calls: the caller leg and the callee leg');
  });

  it('the master hangs up while the chained call still rings: the chained call ends local/cancel and the callee sees CANCEL', async () => {
    const callee = await provider('e2e-uas-ringing-then-cancel.xml');
    await createNumberWithFlow(cb, '+15550003101', connectFlow());
    const probe = await RtpProbe.open();
    probes.push(probe);
    const caller = await startSippCaller(cb, 'calls-uac-incoming.xml', '+15550003101', {
      keys: { rtp_port: String(probe.port) },
    });
    sipps.push(caller);

    const master = await waitForListedCall(cb, (c) => c.direction === 'incoming');
    const chainedListed = await waitForListedCall(cb, (c) => c.direction === 'outgoing');
    await waitForCall(cb, chainedListed.id, (c) => c.status === 'ringing');
    expectStatus(await cb.api('POST', `/v1.0/calls/${master.id}/hangup`, {}), 200);

    const masterEnd = await waitForCall(cb, master.id, (c) => c.status === 'hangup');
    assert.equal(masterEnd.hangup_by, 'local');
    assert.equal(masterEnd.hangup_reason, 'normal');
    const chainedEnd = await waitForCall(cb, chainedListed.id, (c) => c.status === 'hangup');
    assert.equal(chainedEnd.master_call_id, master.id);
    assert.equal(chainedEnd.hangup_by, 'local');
    assert.equal(chainedEnd.hangup_reason, 'cancel');
    assert.equal(chainedEnd.tm_progressing, undefined);
    assert.deepEqual(await statusTrail(cb, chainedListed.id), ['dialing', 'ringing', 'canceling', 'hangup']);
    assert.equal((await callee.exited).code, 0, 'the callee got CANCEL and the ACK for its 487');
    assert.equal((await caller.exited).code, 0, 'the caller got our BYE');
  });
});
