import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  SilentPeer,
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
const HOLD = [{ type: 'sleep', option: { duration: 20_000 } }];

describe('calls e2e: hangup reasons of outgoing calls, from real SIP answers', () => {
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

  /** A sipp provider reached by a +1 route of `priority`; returns its provider id and process. */
  async function sippRoute(scenario: string, priority: number): Promise<{ providerId: string; sipp: SippProcess }> {
    const provider = await startSippProvider(scenario);
    sipps.push(provider.sipp);
    const providerId = await createProvider(cb, provider.port);
    await createRoute(cb, providerId, priority, '+1');
    return { providerId, sipp: provider.sipp };
  }

  /** A second-choice provider that only records what it receives. */
  async function silentRoute(priority: number): Promise<SilentPeer> {
    const peer = await SilentPeer.open();
    peers.push(peer);
    await createRoute(cb, await createProvider(cb, peer.port), priority, '+1');
    return peer;
  }

  async function dial(target: string, extra: Record<string, unknown> = {}): Promise<string> {
    const created = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: SOURCE,
        destinations: [{ type: 'tel', target }],
        actions: HOLD,
        ...extra,
      }),
      200,
    );
    assert.equal(created.calls[0].status, 'dialing');
    return created.calls[0].id as string;
  }

  for (const [scenario, sipStatus, reason] of [
    ['calls-uas-486.xml', 486, 'busy'],
    ['e2e-uas-603.xml', 603, 'noanswer'],
  ] as const) {
    it(`${sipStatus} ends the call remote/${reason} without failover: the second route's provider never sees an INVITE`, async () => {
      const first = await sippRoute(scenario, 1);
      const second = await silentRoute(2);
      const id = await dial('+15550002100');
      const ended = await waitForCall(cb, id, (c) => c.status === 'hangup');
      assert.equal(ended.hangup_by, 'remote');
      assert.equal(ended.hangup_reason, reason);
      assert.deepEqual(
        ended.route_attempts.map((a: any) => [a.provider_id, a.sip_status]),
        [[first.providerId, sipStatus]],
      );
      assert.equal((await first.sipp.exited).code, 0, `sipp got the ACK for its ${sipStatus}`);
      assert.deepEqual(second.datagrams, [], 'no SIP reached the second provider');
      assert.deepEqual(await statusTrail(cb, id), ['dialing', 'hangup']);
    });
  }

  it('dial_timeout: 2 with a provider that only sent 100 Trying ends the call remote/dialout, and callbin CANCELs it', async () => {
    const first = await sippRoute('e2e-uas-trying-then-cancel.xml', 1);
    const second = await silentRoute(2);
    const id = await dial('+15550002101', { dial_timeout: 2 });
    const ended = await waitForCall(cb, id, (c) => c.status === 'hangup', 10_000);
    assert.equal(ended.hangup_by, 'remote');
    assert.equal(ended.hangup_reason, 'dialout');
    assert.equal(ended.tm_ringing, undefined, 'the call never rang');
    assert.deepEqual(await statusTrail(cb, id), ['dialing', 'hangup']);
    assert.equal((await first.sipp.exited).code, 0, 'sipp got the CANCEL and the ACK for its 487');
    assert.deepEqual(second.datagrams, [], 'no failover after a dial timeout');
  });

  it('dial_timeout: 2 with a provider that rang (180) and went silent ends the call remote/noanswer', async () => {
    const first = await sippRoute('e2e-uas-ringing-then-cancel.xml', 1);
    const id = await dial('+15550002102', { dial_timeout: 2 });
    const ended = await waitForCall(cb, id, (c) => c.status === 'hangup', 10_000);
    assert.equal(ended.hangup_by, 'remote');
    assert.equal(ended.hangup_reason, 'noanswer');
    assert.equal(typeof ended.tm_ringing, 'string');
    assert.deepEqual(await statusTrail(cb, id), ['dialing', 'ringing', 'hangup']);
    assert.equal((await first.sipp.exited).code, 0, 'sipp got the CANCEL and the ACK for its 487');
  });

  it('API hangup while ringing: canceling, then hangup local/cancel; the provider sees CANCEL', async () => {
    const first = await sippRoute('e2e-uas-ringing-then-cancel.xml', 1);
    const second = await silentRoute(2);
    const id = await dial('+15550002103');
    await waitForCall(cb, id, (c) => c.status === 'ringing');
    expectStatus(await cb.api('POST', `/v1.0/calls/${id}/hangup`, {}), 200);
    const ended = await waitForCall(cb, id, (c) => c.status === 'hangup');
    assert.equal(ended.hangup_by, 'local');
    assert.equal(ended.hangup_reason, 'cancel');
    assert.equal(ended.tm_progressing, undefined);
    assert.deepEqual(await statusTrail(cb, id), ['dialing', 'ringing', 'canceling', 'hangup']);
    assert.equal((await first.sipp.exited).code, 0, 'sipp got the CANCEL and the ACK for its 487');
    assert.deepEqual(second.datagrams, [], 'a cancelled call is not retried');
  });
});
