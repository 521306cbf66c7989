import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RtpProbe } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  callEvents,
  createProvider,
  createRoute,
  expectStatus,
  startSippProvider,
  startTestCallbin,
  waitForCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The bug made hold wait for Timer B (64*T1 = 32 s); an answer within this is "at once" with room for a loaded machine. */
const PROMPT_MS = 2_000;
/** Timer B of the re-INVITE plus the BYE and a margin. */
const TIMER_B_AND_MARGIN_MS = 50_000;

describe('calls e2e: hold towards a far end that never answers the re-INVITE', { timeout: 120_000 }, () => {
  let cb: TestCallbin;
  let sipp: SippProcess | undefined;
  let probe: RtpProbe;
  before(async () => {
    cb = await startTestCallbin();
    probe = await RtpProbe.open();
  });
  after(async () => {
    await sipp?.stop();
    await probe.close();
    await cb.close();
  });

  it('hold and unhold answer at once, the held party hears music, and the re-INVITE timeout ends the call with a BYE (remote/failed)', async () => {
    const provider = await startSippProvider('e2e-uas-reinvite-unanswered.xml', [
      '-key',
      'rtp_port',
      String(probe.port),
    ]);
    sipp = provider.sipp;
    await createRoute(cb, await createProvider(cb, provider.port), 1, '+1');
    const [call] = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: { type: 'tel', target: '+15550001000' },
        destinations: [{ type: 'tel', target: '+15550002200' }],
        actions: [{ type: 'sleep', option: { duration: 120_000 } }],
      }),
      200,
    ).calls;
    await waitForCall(cb, call.id, (c) => c.status === 'progressing');
    expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/moh`), 200);

    let started = Date.now();
    const held = expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/hold`), 200);
    assert.ok(Date.now() - started < PROMPT_MS, `hold answered in ${Date.now() - started} ms`);
    assert.equal(held.hold, true);
    const audibleBefore = probe.audiblePackets;
    await pause(1_000);
    assert.ok(
      probe.audiblePackets - audibleBefore > 20,
      'the held party hears hold music while the re-INVITE is unanswered',
    );

    started = Date.now();
    const unheld = expectStatus(await cb.api('DELETE', `/v1.0/calls/${call.id}/hold`), 200);
    assert.ok(Date.now() - started < PROMPT_MS, `unhold answered in ${Date.now() - started} ms`);
    assert.equal(unheld.hold, false);

    // RFC 3261 §14.1: the re-INVITE times out (Timer B), the dialog ends with a BYE, the call hangs up.
    const ended = await waitForCall(cb, call.id, (c) => c.status === 'hangup', TIMER_B_AND_MARGIN_MS);
    assert.deepEqual([ended.hangup_by, ended.hangup_reason], ['remote', 'failed']);
    assert.equal(
      (await provider.sipp.exited).code,
      0,
      'sipp got the sendonly re-INVITE, never answered it, and got our BYE',
    );
    const types = (await callEvents(cb, call.id)).map((e) => e.type);
    assert.equal(types[types.length - 1], 'call_hangup');
  });
});
