import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  SilentPeer,
  callEvents,
  createProvider,
  createRoute,
  expectStatus,
  startSippProvider,
  startTestCallbin,
  waitForCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';

const SOURCE = { type: 'tel', target: '+15550001000' };
const HOLD = [{ type: 'sleep', option: { duration: 60_000 } }];
/** 64*T1 with callbin's T1 of 500 ms (RFC 3261 §17.1.1.2 Timer B), plus room for the rest of the test. */
const TRANSACTION_TIMEOUT_BUDGET_MS = 45_000;

// This file holds the one slow test of the calls suite (a real INVITE transaction timeout); it runs
// beside the other files.
describe('calls e2e: route failover through the API', () => {
  let cb: TestCallbin;
  let sipps: SippProcess[];
  let peers: SilentPeer[];

  beforeEach(async () => {
    cb = await startTestCallbin();
    sipps = [];
    peers = [];
  });

  afterEach(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await Promise.all(peers.map((p) => p.close()));
    await cb.close();
  });

  async function silentProvider(): Promise<{ id: string; peer: SilentPeer }> {
    const peer = await SilentPeer.open();
    peers.push(peer);
    return { id: await createProvider(cb, peer.port), peer };
  }

  it('503, then a provider that never responds (transaction timeout), then one that answers: one call, three attempts, one call_hangup', async () => {
    const failing = await startSippProvider('calls-uas-503.xml');
    // -aa and two calls: callbin's OPTIONS health round (every 30 s) may reach this sipp before our
    // INVITE does, and sipp counts an out-of-dialog OPTIONS as a call of its own.
    const answering = await startSippProvider('uas', ['-aa', '-m', '2']);
    sipps.push(failing.sipp, answering.sipp);
    const failingId = await createProvider(cb, failing.port);
    const silent = await silentProvider();
    const answeringId = await createProvider(cb, answering.port);
    const routeIds = [
      await createRoute(cb, failingId, 1),
      await createRoute(cb, silent.id, 2),
      await createRoute(cb, answeringId, 3),
    ];

    const created = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: SOURCE,
        destinations: [{ type: 'tel', target: '+15550002200' }],
        actions: HOLD,
      }),
      200,
    );
    const id = created.calls[0].id as string;
    const answered = await waitForCall(cb, id, (c) => c.status === 'progressing', TRANSACTION_TIMEOUT_BUDGET_MS);
    assert.deepEqual(
      answered.route_attempts.map((a: any) => [a.route_id, a.provider_id, a.sip_status, a.reason]),
      [
        [routeIds[0], failingId, 503, 'failed'],
        [routeIds[1], silent.id, 0, 'failed'],
        [routeIds[2], answeringId, 200, 'answered'],
      ],
    );
    assert.equal((await failing.sipp.exited).code, 0, 'the 503 provider got its ACK');
    assert.ok(
      silent.peer.datagrams.some((d) => d.startsWith('INVITE ')),
      'the silent provider was sent the INVITE',
    );

    expectStatus(await cb.api('POST', `/v1.0/calls/${id}/hangup`, {}), 200);
    const ended = await waitForCall(cb, id, (c) => c.status === 'hangup');
    assert.equal(ended.hangup_by, 'local');
    assert.equal(ended.hangup_reason, 'normal');
    assert.equal(ended.route_attempts.length, 3);

    const list = expectStatus(await cb.api('GET', '/v1.0/calls'), 200);
    assert.deepEqual(
      list.result.map((c: any) => c.id),
      [id],
      'one call object for every attempt',
    );
    const events = await callEvents(cb, id);
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
      'seq runs 1..n without gaps',
    );
    assert.equal(events.filter((e) => e.type === 'call_created').length, 1);
    assert.equal(events.filter((e) => e.type === 'call_hangup').length, 1, 'failed attempts emit no call_hangup');
    assert.equal(events.at(-1)?.type, 'call_hangup', 'the one call_hangup is the last event');
    const attemptCounts = events.map((e) => (e.data.route_attempts as unknown[]).length);
    assert.ok(
      attemptCounts.includes(2) && attemptCounts.includes(3),
      'each failover is visible as a call_updated with one more attempt',
    );
  });

  it('486 on the first route ends the call busy: neither the second nor the third provider is tried', async () => {
    const busy = await startSippProvider('calls-uas-486.xml');
    sipps.push(busy.sipp);
    const busyId = await createProvider(cb, busy.port);
    const second = await silentProvider();
    const third = await silentProvider();
    await createRoute(cb, busyId, 1);
    await createRoute(cb, second.id, 2);
    await createRoute(cb, third.id, 3);
    const created = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: SOURCE,
        destinations: [{ type: 'tel', target: '+15550002201' }],
        actions: HOLD,
      }),
      200,
    );
    const ended = await waitForCall(cb, created.calls[0].id, (c) => c.status === 'hangup');
    assert.equal(ended.hangup_reason, 'busy');
    assert.deepEqual(
      ended.route_attempts.map((a: any) => [a.provider_id, a.sip_status]),
      [[busyId, 486]],
    );
    assert.equal((await busy.sipp.exited).code, 0);
    assert.deepEqual(second.peer.datagrams, [], 'the second provider saw nothing');
    assert.deepEqual(third.peer.datagrams, [], 'the third provider saw nothing');
  });
});
