import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RtpProbe } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  SIPP_FIXTURES,
  SilentPeer,
  apiCall,
  callEvents,
  createProvider,
  expectStatus,
  startSippCaller,
  startTestCallbin,
  waitForListedCall,
} from '../support/callbin.ts';
import type { ApiResponse, TestCallbin } from '../support/callbin.ts';
import { freePort, runSipp } from '../support/sipp.ts';

const NUMBER = '+15550004400';
const PASSWORD = 'Secret-pass-4401';

/** sipp REGISTERs as `username` with digest auth; exit code 0 means the scenario's final answer came. */
async function sippRegister(
  cb: TestCallbin,
  scenario: string,
  username: string,
): Promise<{ code: number | null; out: string }> {
  const r = await runSipp(
    [
      '-sf',
      `${SIPP_FIXTURES}${scenario}`,
      `127.0.0.1:${cb.sipPort}`,
      '-i',
      '127.0.0.1',
      '-p',
      String(await freePort('udp')),
      '-s',
      username,
      '-au',
      username,
      '-ap',
      PASSWORD,
      '-m',
      '1',
      '-nostdin',
    ],
    { timeoutMs: 20_000 },
  );
  return { code: r.code, out: `${r.stdout}\n${r.stderr}` };
}

describe('security e2e: deleting a customer stops its telephony at once', { timeout: 120_000 }, () => {
  let cb: TestCallbin;
  let peer: SilentPeer;
  let probe: RtpProbe;
  const sipps: SippProcess[] = [];

  before(async () => {
    cb = await startTestCallbin();
    // An INVITE from 127.0.0.1 is a provider's once a provider has that address.
    peer = await SilentPeer.open();
    await createProvider(cb, peer.port);
    probe = await RtpProbe.open();
  });
  after(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await probe.close();
    await peer.close();
    await cb.close();
  });

  it('its registrations, number, extension, live call and key stop working; the number is free for another customer', async () => {
    const admin = cb.handle.admin!.accessKey;
    const asAdmin = (method: string, path: string, body?: unknown): Promise<ApiResponse> =>
      apiCall(cb.handle.apiUrl, admin, method, path, body);
    const customer = expectStatus(await asAdmin('POST', '/v1.0/customers', { name: 'leaving' }), 200);
    const key = expectStatus(await asAdmin('POST', '/v1.0/accesskeys', { name: 'k', customer_id: customer.id }), 200)
      .token as string;
    const asCustomer = (method: string, path: string, body?: unknown): Promise<ApiResponse> =>
      apiCall(cb.handle.apiUrl, key, method, path, body);
    const ext = expectStatus(
      await asCustomer('POST', '/v1.0/extensions', { extension: '4401', password: PASSWORD }),
      200,
    );
    const flow = expectStatus(
      await asCustomer('POST', '/v1.0/flows', {
        name: 'answer and wait',
        actions: [{ type: 'answer' }, { type: 'sleep', option: { duration: 60_000 } }],
      }),
      200,
    );
    expectStatus(await asCustomer('POST', '/v1.0/numbers', { number: NUMBER, call_flow_id: flow.id }), 200);

    const registered = await sippRegister(cb, 'register-add.xml', ext.username);
    assert.equal(registered.code, 0, `the extension registers before the delete:\n${registered.out}`);
    assert.equal((await cb.store.registrations.listForExtension(ext.id, new Date().toISOString())).length, 1);

    const caller = await startSippCaller(cb, 'flows-caller-wait-bye.xml', NUMBER, {
      keys: { rtp_port: String(probe.port) },
    });
    sipps.push(caller);
    const live = await waitForListedCall(
      { api: asCustomer },
      (c) => c.direction === 'incoming' && c.status === 'progressing',
    );

    expectStatus(await asAdmin('DELETE', `/v1.0/customers/${customer.id}`), 200);

    // The live call ends with our BYE, and its hangup is an event.
    assert.equal((await caller.exited).code, 0, 'the caller got a BYE');
    const events = await callEvents(cb, live.id);
    const hangup = events.find((e) => e.data.status === 'hangup');
    assert.ok(hangup, `a hangup event was emitted: ${JSON.stringify(events.map((e) => [e.type, e.data.status]))}`);
    assert.equal(hangup.data.hangup_by, 'local');

    // SIP: the binding is gone and a new REGISTER is refused; the number no longer runs its flow.
    assert.deepEqual(await cb.store.registrations.listForExtension(ext.id, new Date(0).toISOString()), []);
    const refused = await sippRegister(cb, 'register-refused.xml', ext.username);
    assert.equal(refused.code, 0, `REGISTER of the deleted extension is refused 403:\n${refused.out}`);
    const toNumber = await startSippCaller(cb, 'calls-uac-refused-404.xml', NUMBER);
    sipps.push(toNumber);
    assert.equal((await toNumber.exited).code, 0, "an INVITE to the deleted customer's number is refused 404");

    // API: its key is refused; another customer can take the number at once.
    assert.equal((await asCustomer('GET', '/v1.0/extensions')).status, 401);
    const other = expectStatus(await asAdmin('POST', '/v1.0/customers', { name: 'next owner' }), 200);
    const otherKey = expectStatus(await asAdmin('POST', '/v1.0/accesskeys', { name: 'k', customer_id: other.id }), 200)
      .token as string;
    const taken = await apiCall(cb.handle.apiUrl, otherKey, 'POST', '/v1.0/numbers', { number: NUMBER });
    expectStatus(taken, 200);
  });
});
