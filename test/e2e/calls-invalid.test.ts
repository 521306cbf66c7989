import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  SilentPeer,
  createProvider,
  createRoute,
  expectStatus,
  startSippProvider,
  startTestCallbin,
  waitForCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';

const SOURCE = { type: 'tel', target: '+15550001000' };
const ACTIONS = [{ type: 'talk', option: { text: 'never spoken', language: 'en-US' } }];

describe('calls e2e: invalid requests are refused before anything is dialled', () => {
  let cb: TestCallbin;
  let provider: SilentPeer;
  let busy: SippProcess;
  let hungUpId: string;

  before(async () => {
    cb = await startTestCallbin();
    // The +1 provider is a socket the test owns: any SIP sent for a refused request would land here.
    provider = await SilentPeer.open();
    await createRoute(cb, await createProvider(cb, provider.port), 1, '+1');
    // A finished call to chain onto and to control: a +44 call that a sipp provider answers 486.
    const sipp = await startSippProvider('calls-uas-486.xml');
    busy = sipp.sipp;
    await createRoute(cb, await createProvider(cb, sipp.port), 1, '+44');
    const created = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: SOURCE,
        destinations: [{ type: 'tel', target: '+442071234567' }],
        actions: ACTIONS,
      }),
      200,
    );
    hungUpId = created.calls[0].id;
    await waitForCall(cb, hungUpId, (c) => c.status === 'hangup');
    assert.equal((await busy.exited).code, 0);
  });

  after(async () => {
    await busy.stop();
    await provider.close();
    await cb.close();
  });

  async function createCall(body: Record<string, unknown>): Promise<{ status: number; error: any }> {
    const res = await cb.api('POST', '/v1.0/calls', { source: SOURCE, actions: ACTIONS, ...body });
    return { status: res.status, error: res.body?.error };
  }

  for (const bad of ['+1 (606) 206-7563', '16062067563']) {
    it(`a destination ${JSON.stringify(bad)} that is not E.164 is 400 INVALID_E164 naming the field`, async () => {
      const { status, error } = await createCall({ destinations: [{ type: 'tel', target: bad }] });
      assert.equal(status, 400, JSON.stringify(error));
      assert.equal(error.reason, 'INVALID_E164');
      assert.ok(
        JSON.stringify(error).includes('destinations[0]'),
        `the error names the field: ${JSON.stringify(error)}`,
      );
    });
  }

  it('a second, bad destination refuses the whole request: the good first one is not dialled either', async () => {
    const { status, error } = await createCall({
      destinations: [
        { type: 'tel', target: '+16062067563' },
        { type: 'tel', target: '+1 606 206' },
      ],
    });
    assert.equal(status, 400, JSON.stringify(error));
    assert.equal(error.reason, 'INVALID_E164');
  });

  it('a destination no route carries is 400 ROUTE_NOT_FOUND', async () => {
    const { status, error } = await createCall({ destinations: [{ type: 'tel', target: '+81312345678' }] });
    assert.equal(status, 400, JSON.stringify(error));
    assert.equal(error.reason, 'ROUTE_NOT_FOUND');
    assert.ok(JSON.stringify(error).includes('destinations[0]'), `the error names the field: ${JSON.stringify(error)}`);
  });

  it('master_call_id of a hung-up call is 409 CALL_STATE_INVALID through POST /calls, and POST /calls/{id}/chained_calls on it is 409 CALL_ALREADY_HANGUP', async () => {
    const { status, error } = await createCall({
      destinations: [{ type: 'tel', target: '+16062067563' }],
      master_call_id: hungUpId,
    });
    assert.equal(status, 409, JSON.stringify(error));
    assert.equal(error.reason, 'CALL_STATE_INVALID');
    const viaControl = await cb.api('POST', `/v1.0/calls/${hungUpId}/chained_calls`, {
      destination: { type: 'tel', target: '+16062067563' },
      actions: ACTIONS,
    });
    assert.equal(viaControl.status, 409, JSON.stringify(viaControl.body));
    assert.equal(viaControl.body.error.reason, 'CALL_ALREADY_HANGUP');
    const master = expectStatus(await cb.api('GET', `/v1.0/calls/${hungUpId}`), 200);
    assert.deepEqual(master.chained_call_ids, [], 'nothing was chained onto the hung-up call');
  });

  it('live controls on a hung-up call are 409 CALL_ALREADY_HANGUP', async () => {
    const controls: [string, string, unknown][] = [
      ['POST', 'hangup', {}],
      ['POST', 'talk', { text: 'hello', language: 'en-US' }],
      ['POST', 'hold', {}],
      ['POST', 'mute', { direction: 'both' }],
    ];
    for (const [method, path, body] of controls) {
      const res = await cb.api(method, `/v1.0/calls/${hungUpId}/${path}`, body);
      assert.equal(res.status, 409, `${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.reason, 'CALL_ALREADY_HANGUP', path);
    }
  });

  // Runs last (tests of a suite run in order): it covers every refused request above.
  it('no SIP traffic reached the provider and no call object was created by any refused request', async () => {
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(provider.datagrams, []);
    const list = expectStatus(await cb.api('GET', '/v1.0/calls'), 200);
    assert.deepEqual(
      list.result.map((c: { id: string }) => c.id),
      [hungUpId],
    );
  });
});
