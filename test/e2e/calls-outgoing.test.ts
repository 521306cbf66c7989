import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { RtpProbe } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  callEvents,
  createProvider,
  createRoute,
  expectStatus,
  startSippProvider,
  startTestCallbin,
  statusTrail,
  waitForCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';

const SOURCE = { type: 'tel', target: '+15550001000' };

describe('calls e2e: an outgoing call through the API, a sipp provider and the flow engine', () => {
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

  it('answered: dialing -> ringing -> progressing, the talk is heard, remote BYE ends it remote/normal, events in seq order', async () => {
    const probe = await RtpProbe.open();
    probes.push(probe);
    const provider = await startSippProvider('e2e-uas-answer-probe-bye.xml', ['-key', 'rtp_port', String(probe.port)]);
    sipps.push(provider.sipp);
    const providerId = await createProvider(cb, provider.port);
    const routeId = await createRoute(cb, providerId, 1, '+1');

    const created = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: SOURCE,
        destinations: [{ type: 'tel', target: '+15550002000' }],
        actions: [
          { type: 'talk', option: { text: 'hello, this is callbin speaking', language: 'en-US' } },
          { type: 'sleep', option: { duration: 20_000 } },
        ],
        metadata: { case: 'answered' },
      }),
      200,
    );
    assert.equal(created.calls.length, 1);
    const call = created.calls[0];
    assert.equal(call.status, 'dialing');
    assert.equal(call.direction, 'outgoing');
    assert.notEqual(
      call.activeflow_id,
      '00000000-0000-0000-0000-000000000000',
      'the response already holds the activeflow',
    );

    const ended = await waitForCall(cb, call.id, (c) => c.status === 'hangup');
    assert.equal((await provider.sipp.exited).code, 0, 'sipp saw INVITE, ACK and the 200 to its BYE');
    assert.equal(ended.hangup_by, 'remote');
    assert.equal(ended.hangup_reason, 'normal');
    assert.deepEqual(ended.metadata, { case: 'answered' });
    assert.deepEqual(
      ended.route_attempts.map((a: any) => [a.route_id, a.provider_id, a.sip_status, a.reason]),
      [[routeId, providerId, 200, 'answered']],
    );
    assert.ok(
      probe.audiblePackets > 10,
      `the provider heard the talk: ${probe.packets} RTP packets, ${probe.audiblePackets} audible`,
    );

    for (const field of ['tm_create', 'tm_ringing', 'tm_progressing', 'tm_hangup'] as const)
      assert.equal(typeof ended[field], 'string', `${field} is set`);
    assert.ok(ended.tm_create <= ended.tm_ringing, 'tm_create <= tm_ringing');
    assert.ok(ended.tm_ringing <= ended.tm_progressing, 'tm_ringing <= tm_progressing');
    assert.ok(ended.tm_progressing <= ended.tm_hangup, 'tm_progressing <= tm_hangup');

    assert.deepEqual(await statusTrail(cb, call.id), ['dialing', 'ringing', 'progressing', 'hangup']);
    const events = await callEvents(cb, call.id);
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
      'seq runs 1..n without gaps',
    );
    assert.equal(events[0]?.type, 'call_created');
    const statusEvents = events.filter((e) => e.type !== 'call_created' && e.type !== 'call_updated');
    assert.deepEqual(
      statusEvents.map((e) => e.type),
      ['call_ringing', 'call_progressing', 'call_hangup'],
    );
    for (const e of statusEvents) {
      const before = events[e.seq - 2];
      assert.equal(before?.type, 'call_updated', `${e.type} comes with a call_updated`);
      assert.deepEqual(before?.data, e.data, `${e.type} and its call_updated carry the same call`);
    }
    assert.equal(events.filter((e) => e.type === 'call_hangup').length, 1);
    assert.deepEqual(events.at(-1)?.data, ended, 'the last event carries the call exactly as GET returns it');
  });

  it('API hangup after answer: terminating, then hangup local/normal; the provider gets our BYE', async () => {
    const provider = await startSippProvider('e2e-uas-answer-wait-bye.xml');
    sipps.push(provider.sipp);
    await createRoute(cb, await createProvider(cb, provider.port), 1, '+1');
    const created = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: SOURCE,
        destinations: [{ type: 'tel', target: '+15550002001' }],
        actions: [{ type: 'sleep', option: { duration: 20_000 } }],
      }),
      200,
    );
    const id = created.calls[0].id as string;
    await waitForCall(cb, id, (c) => c.status === 'progressing');
    expectStatus(await cb.api('POST', `/v1.0/calls/${id}/hangup`, {}), 200);
    const ended = await waitForCall(cb, id, (c) => c.status === 'hangup');
    assert.equal(ended.hangup_by, 'local');
    assert.equal(ended.hangup_reason, 'normal');
    assert.deepEqual(await statusTrail(cb, id), ['dialing', 'ringing', 'progressing', 'terminating', 'hangup']);
    assert.equal((await provider.sipp.exited).code, 0, 'the provider got a BYE and answered it');
  });

  it('max_duration: 2 ends an answered call local/timeout with a BYE', async () => {
    const provider = await startSippProvider('e2e-uas-answer-wait-bye.xml');
    sipps.push(provider.sipp);
    await createRoute(cb, await createProvider(cb, provider.port), 1, '+1');
    const created = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: SOURCE,
        destinations: [{ type: 'tel', target: '+15550002002' }],
        actions: [{ type: 'sleep', option: { duration: 20_000 } }],
        max_duration: 2,
      }),
      200,
    );
    const id = created.calls[0].id as string;
    const ended = await waitForCall(cb, id, (c) => c.status === 'hangup', 10_000);
    assert.equal(ended.hangup_by, 'local');
    assert.equal(ended.hangup_reason, 'timeout');
    assert.deepEqual(await statusTrail(cb, id), ['dialing', 'ringing', 'progressing', 'terminating', 'hangup']);
    const talkMs = Date.parse(ended.tm_hangup) - Date.parse(ended.tm_progressing);
    assert.ok(talkMs >= 2000, `the call lasted its max_duration (${talkMs} ms after answer)`);
    assert.equal((await provider.sipp.exited).code, 0, 'the provider got the BYE');
  });
});
