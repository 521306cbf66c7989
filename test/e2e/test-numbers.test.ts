// The test numbers (docs/testing-your-flows.md "Test numbers"): each documented number, called with
// POST /v1.0/calls, ends as documented through callbin's real call path, SIP and RTP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SilentPeer,
  apiCall,
  callEvents,
  expectStatus,
  startSippProvider,
  startTestCallbin,
  waitForCall,
  type TestCallbin,
} from '../support/callbin.ts';
import { downloadFiles, samplesOf } from '../support/recording-files.ts';
import { loadConfig, testNumbersEnabled } from '../../src/config/index.ts';

const CARRIER_PROVIDER = '00000000-0000-4000-8000-150055500000';
const SOURCE = { type: 'tel', target: '+15550001111' };

function rms(samples: Int16Array): number {
  let energy = 0;
  for (const s of samples) energy += s * s;
  return Math.sqrt(energy / Math.max(1, samples.length));
}

/** Calls `number` with `actions` (as the customer of `key`, default the admin's); returns the ended call. */
async function callAndEnd(
  cb: TestCallbin,
  number: string,
  actions: unknown[],
  extra: Record<string, unknown> = {},
  key?: string,
): Promise<any> {
  const body = { source: SOURCE, destinations: [{ type: 'tel', target: number }], actions, ...extra };
  const res = key
    ? await apiCall(cb.handle.apiUrl, key, 'POST', '/v1.0/calls', body)
    : await cb.api('POST', '/v1.0/calls', body);
  const id = expectStatus(res, 200).calls[0].id as string;
  const api = key ? { api: (m: string, p: string) => apiCall(cb.handle.apiUrl, key, m, p) } : cb;
  return waitForCall(api, id, (c) => c.status === 'hangup', 40_000);
}

/** The distinct successive statuses of a call, from its events that carry one (not `dtmf_received`). */
async function trail(cb: TestCallbin, callId: string): Promise<string[]> {
  const statuses = (await callEvents(cb, callId)).flatMap((e) => (e.data.status ? [e.data.status as string] : []));
  return statuses.filter((s, i) => s !== statuses[i - 1]);
}

function outcome(call: any): string {
  return `${call.hangup_by}/${call.hangup_reason}`;
}

describe('test numbers: the built-in carrier answers each documented number as documented', {
  concurrency: true,
}, () => {
  let cb: TestCallbin;
  before(async () => {
    cb = await startTestCallbin();
  });
  after(async () => {
    await cb?.close();
  });

  it('+15005550001 answers, speaks a sentence on real RTP that the flow records, then hangs up', async () => {
    const call = await callAndEnd(cb, '+15005550001', [
      { type: 'recording_start', option: { format: 'wav' } },
      { type: 'sleep', option: { duration: 30_000 } },
    ]);
    assert.deepEqual(await trail(cb, call.id), ['dialing', 'ringing', 'progressing', 'hangup']);
    assert.equal(outcome(call), 'remote/normal', 'the carrier sent the BYE');
    assert.deepEqual(
      call.route_attempts.map((a: any) => a.provider_id),
      [CARRIER_PROVIDER],
    );
    assert.equal(call.recording_ids.length, 1);
    const id = call.recording_ids[0] as string;
    await waitForRecordingEnded(cb, id);
    const files = await downloadFiles(cb.handle.apiUrl, cb.handle.admin?.accessKey ?? '', id);
    const said = rms(samplesOf(files.get(`${id}_in.wav`)));
    console.log(`test numbers: +15005550001 speech in the recording: rms ${said.toFixed(0)}`);
    assert.ok(said > 300, `the carrier's speech is in the recording (rms ${said.toFixed(0)})`);
  });

  it('+15005550002 sends DTMF 1: digits_receive + branch take the "1" branch', async () => {
    const ids = { one: '11111111-1111-4111-8111-111111111111', other: '22222222-2222-4222-8222-222222222222' };
    const call = await callAndEnd(cb, '+15005550002', [
      { type: 'digits_receive', option: { duration: 8000, length: 1 } },
      {
        type: 'branch',
        option: { variable: 'voipbin.call.digits', target_ids: { '1': ids.one }, default_target_id: ids.other },
      },
      { id: ids.one, type: 'hangup', option: { reason: 'normal' } },
      { id: ids.other, type: 'hangup', option: { reason: 'busy' } },
    ]);
    const activeflow = expectStatus(await cb.api('GET', `/v1.0/activeflows/${call.activeflow_id}`), 200);
    const executed = activeflow.executed_actions.map((a: { id: string }) => a.id);
    assert.ok(executed.includes(ids.one) && !executed.includes(ids.other), JSON.stringify(executed));
    const digits = (await callEvents(cb, call.id)).filter((e) => e.type === 'dtmf_received').map((e) => e.data.digit);
    assert.deepEqual(digits, ['1'], 'one RFC 4733 digit arrived');
    assert.deepEqual(await trail(cb, call.id), ['dialing', 'ringing', 'progressing', 'terminating', 'hangup']);
    assert.equal(outcome(call), 'local/normal', 'the flow hung up; the carrier waited for it');
  });

  it('+15005550003 is busy (486)', async () => {
    const call = await callAndEnd(cb, '+15005550003', [{ type: 'hangup' }]);
    assert.deepEqual(await trail(cb, call.id), ['dialing', 'hangup']);
    assert.equal(outcome(call), 'remote/busy');
    assert.equal(call.route_attempts.at(-1).sip_status, 486);
  });

  it('+15005550004 rings and never answers: noanswer at the dial timeout', async () => {
    const call = await callAndEnd(cb, '+15005550004', [{ type: 'hangup' }], { dial_timeout: 2 });
    assert.deepEqual(await trail(cb, call.id), ['dialing', 'ringing', 'hangup']);
    assert.equal(outcome(call), 'remote/noanswer');
  });

  it('+15005550005 fails with 503 and, with no other route, ends failed', async () => {
    const call = await callAndEnd(cb, '+15005550005', [{ type: 'hangup' }]);
    assert.deepEqual(await trail(cb, call.id), ['dialing', 'hangup']);
    assert.equal(outcome(call), 'remote/failed');
    assert.deepEqual(
      call.route_attempts.map((a: any) => [a.provider_id, a.sip_status]),
      [[CARRIER_PROVIDER, 503]],
    );
  });

  it('+15005550006 answers after 10 s of ringing', async () => {
    const call = await callAndEnd(cb, '+15005550006', [{ type: 'hangup' }]);
    assert.deepEqual(await trail(cb, call.id), ['dialing', 'ringing', 'progressing', 'terminating', 'hangup']);
    assert.equal(outcome(call), 'local/normal');
    // The 180 came after the call was created and the 200 10 s after the 180, on the same clock.
    const waited = Date.parse(call.tm_progressing) - Date.parse(call.tm_create);
    console.log(`test numbers: +15005550006 answered ${waited} ms after the call was created`);
    assert.ok(waited >= 10_000, `answered ${waited} ms after the call was created`);
  });

  it('+15005550007 is an answering machine: amd says MACHINE and hangs up', async () => {
    const call = await callAndEnd(cb, '+15005550007', [
      { type: 'amd', option: { machine_handle: 'hangup' } },
      { type: 'hangup', option: { reason: 'normal' } },
    ]);
    const activeflow = expectStatus(await cb.api('GET', `/v1.0/activeflows/${call.activeflow_id}`), 200);
    assert.equal(activeflow.variables['voipbin.amd.result'], 'MACHINE');
    assert.deepEqual(await trail(cb, call.id), ['dialing', 'ringing', 'progressing', 'terminating', 'hangup']);
    assert.equal(outcome(call), 'local/amd');
  });

  it('+15005550008 echoes: what the flow says comes back into its recording', async () => {
    const call = await callAndEnd(cb, '+15005550008', [
      { type: 'recording_start', option: { format: 'wav' } },
      { type: 'talk', option: { text: 'Testing the echo number of callbin', language: 'en-US' } },
      { type: 'hangup' },
    ]);
    assert.deepEqual(await trail(cb, call.id), ['dialing', 'ringing', 'progressing', 'terminating', 'hangup']);
    assert.equal(outcome(call), 'local/normal');
    const id = call.recording_ids[0] as string;
    await waitForRecordingEnded(cb, id);
    const files = await downloadFiles(cb.handle.apiUrl, cb.handle.admin?.accessKey ?? '', id);
    const echoed = rms(samplesOf(files.get(`${id}_in.wav`)));
    console.log(`test numbers: +15005550008 echo in the recording: rms ${echoed.toFixed(0)}`);
    assert.ok(echoed > 300, `the talk came back (rms ${echoed.toFixed(0)})`);
  });

  it('an unassigned +1500555xxxx number is 404: failed', async () => {
    const call = await callAndEnd(cb, '+15005559999', [{ type: 'hangup' }]);
    assert.deepEqual(await trail(cb, call.id), ['dialing', 'hangup']);
    assert.equal(outcome(call), 'remote/failed');
    assert.deepEqual(
      call.route_attempts.map((a: any) => [a.provider_id, a.sip_status]),
      [[CARRIER_PROVIDER, 404]],
    );
  });

  it("+15005550005 fails over to the customer's next route (a sipp UAS); other test numbers never reach it; other customers see none of the carrier's legs", async () => {
    const customer = expectStatus(await cb.api('POST', '/v1.0/customers', { name: 'trunked' }), 200);
    const key = expectStatus(await cb.api('POST', '/v1.0/accesskeys', { name: 'k', customer_id: customer.id }), 200)
      .token as string;
    const { port, sipp } = await startSippProvider('uas');
    try {
      const provider = expectStatus(
        await cb.api('POST', '/v1.0/providers', { hostname: '127.0.0.1', port, transport: 'udp', name: 'sipp' }),
        200,
      );
      expectStatus(
        await cb.api('POST', '/v1.0/routes', {
          provider_id: provider.id,
          target: '+1',
          priority: 1,
          customer_id: customer.id,
        }),
        200,
      );
      const busy = await callAndEnd(cb, '+15005550003', [{ type: 'hangup' }], {}, key);
      assert.equal(outcome(busy), 'remote/busy');
      assert.deepEqual(
        busy.route_attempts.map((a: any) => a.provider_id),
        [CARRIER_PROVIDER],
        'never sent to the trunk',
      );
      const call = await callAndEnd(cb, '+15005550005', [{ type: 'hangup' }], {}, key);
      assert.deepEqual(
        call.route_attempts.map((a: any) => [a.provider_id, a.sip_status]),
        [
          [CARRIER_PROVIDER, 503],
          [provider.id, 200],
        ],
      );
      assert.equal(outcome(call), 'local/normal', 'the sipp UAS answered and the flow hung up');
      assert.equal((await sipp.exited).code, 0);
      const mine = expectStatus(await apiCall(cb.handle.apiUrl, key, 'GET', '/v1.0/calls?page_size=100'), 200).result;
      assert.deepEqual(
        mine.map((c: any) => c.id).sort(),
        [busy.id, call.id].sort(),
        'the customer sees its two calls and no leg of the carrier',
      );
      const theirs = expectStatus(await cb.api('GET', '/v1.0/calls?page_size=100'), 200).result;
      assert.ok(!theirs.some((c: any) => c.id === call.id || c.id === busy.id), 'another customer sees none of them');
      assert.ok(
        theirs.every((c: any) => c.direction === 'outgoing'),
        'no incoming call from the carrier',
      );
    } finally {
      await sipp.stop();
    }
  });
});

async function waitForRecordingEnded(cb: TestCallbin, id: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const rec = await cb.api('GET', `/v1.0/recordings/${id}`);
    if (rec.status === 200 && rec.body.status === 'ended') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`recording ${id} did not end`);
}

describe('test numbers in production mode', () => {
  it('without CALLBIN_TEST_NUMBERS a test number is refused like an unroutable number, never sent to a trunk', async () => {
    const cb = await startTestCallbin({ mode: 'production' });
    const trunk = await SilentPeer.open();
    try {
      const provider = expectStatus(
        await cb.api('POST', '/v1.0/providers', {
          hostname: '127.0.0.1',
          port: trunk.port,
          transport: 'udp',
          name: 't',
        }),
        200,
      );
      expectStatus(await cb.api('POST', '/v1.0/routes', { provider_id: provider.id, target: 'all', priority: 1 }), 200);
      const res = await cb.api('POST', '/v1.0/calls', {
        source: SOURCE,
        destinations: [{ type: 'tel', target: '+15005550001' }],
        actions: [{ type: 'hangup' }],
      });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.reason, 'ROUTE_NOT_FOUND');
      assert.equal(res.body.error.details?.[0]?.field, 'destinations[0]');
      const calls = expectStatus(await cb.api('GET', '/v1.0/calls'), 200).result;
      assert.deepEqual(calls, []);
      assert.deepEqual(trunk.datagrams, [], 'nothing was sent to the trunk');
    } finally {
      await trunk.close();
      await cb.close();
    }
  });

  it('CALLBIN_TEST_NUMBERS=1 turns the carrier on in production', async () => {
    const env = { CALLBIN_MODE: 'production', CALLBIN_TEST_NUMBERS: '1' };
    assert.equal(testNumbersEnabled(loadConfig(env)), true);
    assert.equal(testNumbersEnabled(loadConfig({ CALLBIN_MODE: 'production' })), false);
    assert.equal(testNumbersEnabled(loadConfig({ CALLBIN_TEST_NUMBERS: '0' })), false);
    const cb = await startTestCallbin({ mode: 'production', testNumbers: true });
    try {
      const call = await callAndEnd(cb, '+15005550003', [{ type: 'hangup' }]);
      assert.equal(outcome(call), 'remote/busy');
      // A call still ringing at the carrier does not hold up the shutdown.
      const ringing = expectStatus(
        await cb.api('POST', '/v1.0/calls', {
          source: SOURCE,
          destinations: [{ type: 'tel', target: '+15005550004' }],
          actions: [{ type: 'hangup' }],
        }),
        200,
      ).calls[0];
      await waitForCall(cb, ringing.id, (c) => c.status === 'ringing');
    } finally {
      await cb.close();
    }
  });
});
