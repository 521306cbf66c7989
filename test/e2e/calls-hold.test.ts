import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RtpProbe } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  createProvider,
  createRoute,
  expectStatus,
  startSippProvider,
  startTestCallbin,
  waitForCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Audible packets the probe got during the next `ms`. */
async function audibleDuring(probe: RtpProbe, ms: number): Promise<number> {
  const before = probe.audiblePackets;
  await pause(ms);
  return probe.audiblePackets - before;
}

describe('calls e2e: hold and unhold towards a sipp endpoint', () => {
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

  it('hold re-INVITEs sendonly and the held party hears the music; unhold re-INVITEs sendrecv and the music stops', async () => {
    const provider = await startSippProvider('e2e-uas-hold-unhold.xml', ['-key', 'rtp_port', String(probe.port)]);
    sipp = provider.sipp;
    await createRoute(cb, await createProvider(cb, provider.port), 1, '+1');
    const [call] = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: { type: 'tel', target: '+15550001000' },
        destinations: [{ type: 'tel', target: '+15550002100' }],
        actions: [{ type: 'sleep', option: { duration: 30_000 } }],
      }),
      200,
    ).calls;
    await waitForCall(cb, call.id, (c) => c.status === 'progressing');
    await pause(300);
    assert.equal(await audibleDuring(probe, 800), 0, 'nothing plays before hold');

    expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/moh`), 200);
    const held = expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/hold`), 200);
    assert.equal(held.hold, true);
    assert.ok((await audibleDuring(probe, 1000)) > 20, 'the held party hears hold music');

    const unheld = expectStatus(await cb.api('DELETE', `/v1.0/calls/${call.id}/hold`), 200);
    assert.equal(unheld.hold, false);
    await pause(200);
    assert.equal(await audibleDuring(probe, 800), 0, 'the music stops at unhold');

    expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/hangup`), 200);
    await waitForCall(cb, call.id, (c) => c.status === 'hangup');
    assert.equal((await provider.sipp.exited).code, 0, 'sipp saw a sendonly hold, a sendrecv unhold and our BYE');
  });
});
