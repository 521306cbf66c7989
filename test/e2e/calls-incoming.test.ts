import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { RtpProbe } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  SilentPeer,
  createNumberWithFlow,
  createProvider,
  expectStatus,
  startSippCaller,
  startTestCallbin,
  statusTrail,
  waitForCall,
  waitForListedCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('calls e2e: incoming calls from a sipp provider to numbers bound to flows', () => {
  let cb: TestCallbin;
  let sipps: SippProcess[];
  let probes: RtpProbe[];
  let peer: SilentPeer;

  beforeEach(async () => {
    cb = await startTestCallbin();
    sipps = [];
    probes = [];
    // The provider's address is what makes an INVITE from 127.0.0.1 trusted; its port does not matter.
    peer = await SilentPeer.open();
    await createProvider(cb, peer.port);
  });

  afterEach(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await Promise.all(probes.map((p) => p.close()));
    await peer.close();
    await cb.close();
  });

  it('a call to a number whose flow is [answer, talk, hangup] is answered, heard, and hung up by callbin (local/normal)', async () => {
    await createNumberWithFlow(cb, '+15550003000', [
      { type: 'answer' },
      { type: 'talk', option: { text: 'hello from callbin, thank you for calling', language: 'en-US' } },
      { type: 'hangup' },
    ]);
    const probe = await RtpProbe.open();
    probes.push(probe);
    const sipp = await startSippCaller(cb, 'calls-uac-incoming.xml', '+15550003000', {
      keys: { rtp_port: String(probe.port) },
    });
    sipps.push(sipp);
    assert.equal((await sipp.exited).code, 0, 'sipp got 200, sent ACK, and got our BYE');

    const listed = await waitForListedCall(cb, (c) => c.direction === 'incoming');
    const ended = await waitForCall(cb, listed.id, (c) => c.status === 'hangup');
    assert.equal(ended.direction, 'incoming');
    assert.equal(ended.type, 'flow');
    assert.equal(ended.hangup_by, 'local');
    assert.equal(ended.hangup_reason, 'normal');
    assert.equal(ended.destination.target, '+15550003000');
    assert.equal(ended.source.target, '+15550001111');
    assert.equal(ended.tm_ringing, ended.tm_create, 'an incoming call is ringing from its creation');
    assert.ok(ended.tm_progressing <= ended.tm_hangup);
    assert.deepEqual(await statusTrail(cb, ended.id), ['ringing', 'progressing', 'terminating', 'hangup']);
    assert.ok(
      probe.audiblePackets > 10,
      `the caller heard the talk: ${probe.packets} RTP packets, ${probe.audiblePackets} audible`,
    );
  });

  it('an unknown number is refused 404 and an unknown source address 403; neither creates a call object', async () => {
    await createNumberWithFlow(cb, '+15550003001', [{ type: 'answer' }, { type: 'hangup' }]);
    const unknownNumber = await startSippCaller(cb, 'calls-uac-refused-404.xml', '+15559999999');
    sipps.push(unknownNumber);
    assert.equal((await unknownNumber.exited).code, 0, 'sipp got 404');
    const stranger = await startSippCaller(cb, 'calls-uac-refused-403.xml', '+15550003001', { ip: '127.0.0.2' });
    sipps.push(stranger);
    assert.equal((await stranger.exited).code, 0, 'sipp from 127.0.0.2 got 403');
    // Give a wrongly created call the time to show up before asserting there is none.
    await sleep(300);
    const list = expectStatus(await cb.api('GET', '/v1.0/calls'), 200);
    assert.deepEqual(list.result, []);
    assert.deepEqual(peer.datagrams, [], 'callbin sent nothing to the provider');
  });
});
