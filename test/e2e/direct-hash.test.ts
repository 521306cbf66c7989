import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  SIPP_FIXTURES,
  apiCall,
  expectStatus,
  startSippCaller,
  startSippProvider,
  startTestCallbin,
  statusTrail,
  waitForCall,
} from '../support/callbin.ts';
import type { ApiResponse, TestCallbin } from '../support/callbin.ts';
import { freePort, runSipp } from '../support/sipp.ts';

const PASSWORD = 'Secret-pass-7001';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type Api = (method: string, path: string, body?: unknown) => Promise<ApiResponse>;

/** Polls `read` until it gives a value (at most 20 s). */
async function eventually<T>(read: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// No provider is set up: every INVITE below comes from an address callbin does not trust, and only
// the hash in its Request-URI lets it in (docs/calls.md "Direct addresses").
describe('direct addresses e2e: sipp calls sip:direct.<hash>@<customer domain>', { timeout: 180_000 }, () => {
  let cb: TestCallbin;
  let a: { id: string; api: Api; domain: string };
  let b: { id: string; api: Api; domain: string };
  const sipps: SippProcess[] = [];

  const customer = async (name: string) => {
    const c = expectStatus(await cb.api('POST', '/v1.0/customers', { name }), 200);
    const key = expectStatus(await cb.api('POST', '/v1.0/accesskeys', { name: 'k', customer_id: c.id }), 200).token;
    const api: Api = (method, path, body) => apiCall(cb.handle.apiUrl, key, method, path, body);
    return { id: c.id as string, api, domain: `${c.id}.${cb.handle.config.sipDomain}` };
  };
  /** sipp dials `direct.<hash>` at `domain`; resolves with its exit code and output. */
  const dial = async (scenario: string, hash: string, domain: string) => {
    const sipp = await startSippCaller(cb, scenario, `direct.${hash}`, { keys: { domain } });
    sipps.push(sipp);
    const r = await sipp.exited;
    return { code: r.code, out: `${r.stdout}\n${r.stderr}` };
  };
  /** The one incoming call of customer `c` to `destination`, once it is hung up. */
  const endedCall = async (c: typeof a, destination: string) => {
    const listed = await eventually(async () => {
      const calls = expectStatus(await c.api('GET', '/v1.0/calls?direction=incoming'), 200).result as any[];
      return calls.find((x) => x.destination.target === destination);
    }, `an incoming call to ${destination}`);
    return waitForCall({ api: c.api }, listed.id, (x) => x.status === 'hangup');
  };

  before(async () => {
    cb = await startTestCallbin();
    a = await customer('A');
    b = await customer('B');
  });
  after(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await cb.close();
  });

  it("a flow's address runs the flow; after regenerate the old hash is 404; A's hash in B's domain is 404", async () => {
    const flow = expectStatus(
      await a.api('POST', '/v1.0/flows', { name: 'direct flow', actions: [{ type: 'answer' }, { type: 'hangup' }] }),
      200,
    );
    const answered = await dial('direct-uac-call.xml', flow.direct_hash, a.domain);
    assert.equal(answered.code, 0, `answered and hung up by the flow:\n${answered.out}`);
    const call = await endedCall(a, `direct.${flow.direct_hash}@${a.domain}`);
    assert.equal(call.direction, 'incoming');
    assert.equal(call.type, 'flow');
    assert.equal(call.hangup_by, 'local');
    const activeflow = expectStatus(await a.api('GET', `/v1.0/activeflows/${call.activeflow_id}`), 200);
    assert.equal(activeflow.flow_id, flow.id, 'the call ran the flow the hash belongs to');
    assert.deepEqual(await statusTrail(cb, call.id), ['ringing', 'progressing', 'terminating', 'hangup']);

    const old = flow.direct_hash as string;
    const renewed = expectStatus(await a.api('POST', `/v1.0/flows/${flow.id}/direct-hash-regenerate`), 200);
    assert.notEqual(renewed.direct_hash, old);
    const stale = await dial('direct-uac-refused-404.xml', old, a.domain);
    assert.equal(stale.code, 0, `the old hash is refused 404:\n${stale.out}`);
    const foreign = await dial('direct-uac-refused-404.xml', renewed.direct_hash, b.domain);
    assert.equal(foreign.code, 0, `A's hash in B's domain is refused 404:\n${foreign.out}`);
    const again = await dial('direct-uac-call.xml', renewed.direct_hash, a.domain);
    assert.equal(again.code, 0, `the new hash works:\n${again.out}`);
  });

  it("an extension's address rings its registered phone (a sipp UAS), which answers and hangs up", async () => {
    const ext = expectStatus(await a.api('POST', '/v1.0/extensions', { extension: '7001', password: PASSWORD }), 200);
    const phone = await startSippProvider('calls-uas-answer-bye.xml');
    sipps.push(phone.sipp);
    const registered = await runSipp(
      [
        '-sf',
        `${SIPP_FIXTURES}direct-register-contact.xml`,
        `127.0.0.1:${cb.sipPort}`,
        '-i',
        '127.0.0.1',
        '-p',
        String(await freePort('udp')),
        '-s',
        ext.username,
        '-au',
        ext.username,
        '-ap',
        PASSWORD,
        '-key',
        'contact_port',
        String(phone.port),
        '-m',
        '1',
        '-nostdin',
      ],
      { timeoutMs: 20_000 },
    );
    assert.equal(registered.code, 0, `the phone registered:\n${registered.stdout}\n${registered.stderr}`);

    const caller = await dial('direct-uac-call.xml', ext.direct_hash, a.domain);
    assert.equal(caller.code, 0, `the caller was answered and got a BYE:\n${caller.out}`);
    assert.equal((await phone.sipp.exited).code, 0, 'the phone got the INVITE, answered and hung up');
    const call = await endedCall(a, '7001');
    assert.equal(call.destination.type, 'extension');
    const outgoing = expectStatus(await a.api('GET', '/v1.0/calls?direction=outgoing'), 200).result as any[];
    const legs = outgoing.filter((x) => x.master_call_id === call.id);
    assert.equal(legs.length, 1, 'one call to the phone, chained to the caller');
    assert.deepEqual([legs[0].destination.type, legs[0].destination.target], ['extension', '7001']);
    assert.ok(legs[0].tm_progressing, 'the phone answered');
  });

  it("a conference's address joins the caller: it is a conferencecall until kicked", async () => {
    const room = expectStatus(await a.api('POST', '/v1.0/conferences', { name: 'direct room' }), 200);
    const sipp = await startSippCaller(cb, 'direct-uac-call.xml', `direct.${room.direct_hash}`, {
      keys: { domain: a.domain },
    });
    sipps.push(sipp);
    const cc = await eventually(async () => {
      const list = expectStatus(await a.api('GET', `/v1.0/conferencecalls?conference_id=${room.id}&status=joined`), 200)
        .result as any[];
      return list[0];
    }, 'a joined conferencecall');
    const call = expectStatus(await a.api('GET', `/v1.0/calls/${cc.reference_id}`), 200);
    assert.equal(call.type, 'conference');
    assert.equal(call.direction, 'incoming');
    assert.equal(call.destination.target, room.id);
    expectStatus(await a.api('DELETE', `/v1.0/conferencecalls/${cc.id}`), 200);
    assert.equal((await sipp.exited).code, 0, 'kicked: the caller got a BYE');

    const renewed = expectStatus(await a.api('POST', `/v1.0/conferences/${room.id}/direct-hash-regenerate`), 200);
    const stale = await dial('direct-uac-refused-404.xml', room.direct_hash, a.domain);
    assert.equal(stale.code, 0, `the old hash is refused 404:\n${stale.out}`);
    const foreign = await dial('direct-uac-refused-404.xml', renewed.direct_hash, b.domain);
    assert.equal(foreign.code, 0, `A's conference hash in B's domain is refused 404:\n${foreign.out}`);
  });
});
