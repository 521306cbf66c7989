import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RtpProbe } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  SilentPeer,
  apiCall,
  createProvider,
  expectStatus,
  startSippCaller,
  startTestCallbin,
  waitForListedCall,
} from '../support/callbin.ts';
import type { ApiResponse, TestCallbin } from '../support/callbin.ts';

const NUMBER = '+15550004700';

describe('customer freeze e2e: a frozen customer takes no calls and no API requests until recovered', {
  timeout: 120_000,
}, () => {
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

  it('freeze ends the live call, refuses a new INVITE 403 and the key 403; recover restores both', async () => {
    const admin = cb.handle.admin!.accessKey;
    const asAdmin = (method: string, path: string, body?: unknown): Promise<ApiResponse> =>
      apiCall(cb.handle.apiUrl, admin, method, path, body);
    const customer = expectStatus(await asAdmin('POST', '/v1.0/customers', { name: 'to freeze' }), 200);
    const key = expectStatus(await asAdmin('POST', '/v1.0/accesskeys', { name: 'k', customer_id: customer.id }), 200)
      .token as string;
    const asCustomer = (method: string, path: string, body?: unknown): Promise<ApiResponse> =>
      apiCall(cb.handle.apiUrl, key, method, path, body);
    const flow = expectStatus(
      await asCustomer('POST', '/v1.0/flows', {
        name: 'answer and wait',
        actions: [{ type: 'answer' }, { type: 'sleep', option: { duration: 60_000 } }],
      }),
      200,
    );
    expectStatus(await asCustomer('POST', '/v1.0/numbers', { number: NUMBER, call_flow_id: flow.id }), 200);

    const first = await startSippCaller(cb, 'flows-caller-wait-bye.xml', NUMBER, {
      keys: { rtp_port: String(probe.port) },
    });
    sipps.push(first);
    await waitForListedCall({ api: asCustomer }, (c) => c.direction === 'incoming' && c.status === 'progressing');

    const frozen = expectStatus(await asAdmin('POST', `/v1.0/customers/${customer.id}/freeze`), 200);
    assert.equal(frozen.status, 'frozen');
    assert.match(frozen.tm_deletion_scheduled, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal((await first.exited).code, 0, 'the live call got a BYE');

    // SIP: a new call to the frozen customer's number is refused 403 (sipp's scenario expects it).
    const refused = await startSippCaller(cb, 'calls-uac-refused-403.xml', NUMBER);
    sipps.push(refused);
    assert.equal((await refused.exited).code, 0, 'the INVITE was refused 403');

    // API: the key is refused with the catalogue's code; its own customer can still be read.
    const denied = await asCustomer('GET', '/v1.0/flows');
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.reason, 'CUSTOMER_FROZEN');
    assert.equal(
      (await asCustomer('POST', '/v1.0/calls', { source: { type: 'tel', target: NUMBER }, destinations: [] })).status,
      403,
    );
    assert.equal(expectStatus(await asCustomer('GET', '/v1.0/customer'), 200).status, 'frozen');

    const recovered = expectStatus(await asAdmin('POST', `/v1.0/customers/${customer.id}/recover`), 200);
    assert.equal(recovered.status, 'active');
    assert.equal(recovered.tm_deletion_scheduled, null);
    expectStatus(await asCustomer('GET', '/v1.0/flows'), 200);

    // The number runs its flow again: the call is answered, and our hangup reaches the caller.
    const again = await startSippCaller(cb, 'flows-caller-wait-bye.xml', NUMBER, {
      keys: { rtp_port: String(probe.port) },
    });
    sipps.push(again);
    const live = await waitForListedCall(
      { api: asCustomer },
      (c) => c.direction === 'incoming' && c.status === 'progressing',
    );
    expectStatus(await asCustomer('POST', `/v1.0/calls/${live.id}/hangup`), 200);
    assert.equal((await again.exited).code, 0, 'the call after the recovery was answered and hung up');
  });
});
