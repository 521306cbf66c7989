import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CallsApi, startCallsApi } from '../../test/support/calls-api.ts';
import type { Call } from '../calls/index.ts';
import { FLOW, KR_NUMBER as KR } from '../calls/testing/call-fixtures.ts';
import { FakeIncomingLeg, address } from '../calls/testing/fake-ports.ts';
import { isSupportedLanguage } from '../media/index.ts';
import { FakeClock, NIL_UUID } from '../shared/index.ts';
import { openTestStore, startTestServer } from './testing/test-server.ts';

describe('calls API', () => {
  let api: CallsApi;
  let keyA = '';
  let keyB = '';
  before(async () => {
    // Only +82 has a route, so a +1 destination is ROUTE_NOT_FOUND.
    api = await startCallsApi({ name: 'callbin-calls-api-', deps: { isSupportedLanguage } });
    keyA = (await api.newCustomer('a')).key;
    keyB = (await api.newCustomer('b')).key;
  });
  after(() => api.close());

  it('POST /calls: 200 with dialing calls and their activeflow; call_created is seq 1 in the outbox; one INVITE', async () => {
    const res = await api.request('POST', '/v1.0/calls', { key: keyA, body: api.callBody({ metadata: { order: 7 } }) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [call] = res.body.calls as Call[];
    assert.ok(call);
    assert.equal(call.status, 'dialing');
    assert.equal(call.direction, 'outgoing');
    assert.notEqual(call.activeflow_id, NIL_UUID);
    assert.ok(api.fakes.flows.created.some((f) => f.activeflow_id === call.activeflow_id));
    assert.deepEqual(call.metadata, { order: 7 });
    await api.service.whenIdle();
    assert.equal(api.fakes.signaling.of(call.id).length, 1);
    const outbox = await api.store.outbox.listForResource('call', call.id);
    assert.deepEqual(
      outbox.map((e) => [e.seq, e.type]),
      [[1, 'call_created']],
    );
    assert.deepEqual(outbox[0]?.data, call);
  });

  it('the far end answering shows as progressing on GET (also under /v1)', async () => {
    const call = await api.create(keyA);
    api.fakes.signaling.last(call.id).ring();
    await api.service.whenIdle();
    assert.equal((await api.request('GET', `/v1.0/calls/${call.id}`, { key: keyA })).body.status, 'ringing');
    api.fakes.signaling.last(call.id).answer();
    await api.service.whenIdle();
    const got = await api.request('GET', `/v1/calls/${call.id}`, { key: keyA });
    assert.equal(got.status, 200);
    assert.equal(got.body.status, 'progressing');
    assert.ok(got.body.tm_progressing);
  });

  it('bad E.164 is 400 INVALID_E164 on destinations[0].target and nothing is dialled', async () => {
    const before = api.fakes.signaling.attempts.length;
    for (const target of ['+1 (606) 206-7563', '16062067563']) {
      const res = await api.request('POST', '/v1.0/calls', {
        key: keyA,
        body: api.callBody({ destinations: [address('tel', target)] }),
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.reason, 'INVALID_E164');
      assert.equal(res.body.error.details[0].field, 'destinations[0].target');
      assert.match(res.body.error.message, /^destinations\[0\]\.target: /);
    }
    await api.service.whenIdle();
    assert.equal(api.fakes.signaling.attempts.length, before);
  });

  it('no route is 400 ROUTE_NOT_FOUND; unknown flow 404; bad inline actions 400 INVALID_ACTION; nothing dialled', async () => {
    const keyC = (await api.newCustomer('c')).key;
    const before = api.fakes.signaling.attempts.length;
    const noRoute = await api.request('POST', '/v1.0/calls', {
      key: keyC,
      body: api.callBody({ destinations: [address('tel', '+16062067563')] }),
    });
    assert.deepEqual(
      [noRoute.status, noRoute.body.error.reason, noRoute.body.error.details[0].field],
      [400, 'ROUTE_NOT_FOUND', 'destinations[0]'],
    );
    const noFlow = await api.request('POST', '/v1.0/calls', {
      key: keyC,
      body: api.callBody({ flow_id: 'f0000000-0000-4000-8000-00000000dead' }),
    });
    assert.deepEqual([noFlow.status, noFlow.body.error.reason], [404, 'FLOW_NOT_FOUND']);
    const { flow_id: _f, ...withoutFlow } = api.callBody();
    const badAction = await api.request('POST', '/v1.0/calls', {
      key: keyC,
      body: { ...withoutFlow, actions: [{ type: 'bogus' }] },
    });
    assert.deepEqual(
      [badAction.status, badAction.body.error.reason, badAction.body.error.details[0].field],
      [400, 'INVALID_ACTION', 'actions[0].type'],
    );
    const neither = await api.request('POST', '/v1.0/calls', { key: keyC, body: withoutFlow });
    assert.deepEqual([neither.status, neither.body.error.details[0].field], [400, 'flow_id']);
    const unknown = await api.request('POST', '/v1.0/calls', { key: keyC, body: api.callBody({ colour: 'red' }) });
    assert.deepEqual([unknown.status, unknown.body.error.reason], [400, 'UNKNOWN_FIELD']);
    await api.service.whenIdle();
    assert.equal(api.fakes.signaling.attempts.length, before);
    assert.deepEqual((await api.request('GET', '/v1.0/calls', { key: keyC })).body, {
      result: [],
      next_page_token: '',
    });
  });

  it('inline actions become the call flow', async () => {
    const { flow_id: _f, ...withoutFlow } = api.callBody();
    const res = await api.request('POST', '/v1.0/calls', {
      key: keyA,
      body: { ...withoutFlow, actions: [{ type: 'answer' }] },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.notEqual(res.body.calls[0].flow_id, NIL_UUID);
  });

  it('chaining: onto a live master it appends chained_call_ids; onto a hung-up master 409 (POST /calls CALL_STATE_INVALID, the control CALL_ALREADY_HANGUP) and no dial', async () => {
    const master = await api.create(keyA);
    const chained = await api.create(keyA, { master_call_id: master.id });
    assert.equal(chained.master_call_id, master.id);
    assert.deepEqual((await api.request('GET', `/v1.0/calls/${master.id}`, { key: keyA })).body.chained_call_ids, [
      chained.id,
    ]);
    const viaControl = await api.request('POST', `/v1.0/calls/${master.id}/chained_calls`, {
      key: keyA,
      body: { destination: address('tel', '+821099998888'), flow_id: FLOW },
    });
    assert.equal(viaControl.status, 200, JSON.stringify(viaControl.body));
    assert.equal(viaControl.body.calls[0].master_call_id, master.id);
    const badDest = await api.request('POST', `/v1.0/calls/${master.id}/chained_calls`, {
      key: keyA,
      body: { destination: address('tel', '0109999'), flow_id: FLOW },
    });
    assert.deepEqual([badDest.status, badDest.body.error.details[0].field], [400, 'destination.target']);
    await api.request('POST', `/v1.0/calls/${master.id}/hangup`, { key: keyA });
    await api.service.whenIdle();
    const before = api.fakes.signaling.attempts.length;
    const late = await api.request('POST', '/v1.0/calls', {
      key: keyA,
      body: api.callBody({ master_call_id: master.id }),
    });
    assert.deepEqual(
      [late.status, late.body.error.status, late.body.error.reason],
      [409, 'FAILED_PRECONDITION', 'CALL_STATE_INVALID'],
    );
    const lateControl = await api.request('POST', `/v1.0/calls/${master.id}/chained_calls`, {
      key: keyA,
      body: { destination: address('tel', KR), flow_id: FLOW },
    });
    assert.deepEqual([lateControl.status, lateControl.body.error.reason], [409, 'CALL_ALREADY_HANGUP']);
    await api.service.whenIdle();
    assert.equal(api.fakes.signaling.attempts.length, before);
  });

  it("customer B can neither see nor control nor chain onto customer A's call", async () => {
    const call = await api.create(keyA);
    const paths: [string, string, unknown?][] = [
      ['GET', ''],
      ['DELETE', ''],
      ['POST', '/hangup'],
      ['POST', '/hold'],
      ['POST', '/mute', { direction: 'in' }],
      ['POST', '/recording_start', {}],
    ];
    for (const [method, suffix, body] of paths) {
      const res = await api.request(method, `/v1.0/calls/${call.id}${suffix}`, {
        key: keyB,
        ...(body !== undefined ? { body } : {}),
      });
      assert.deepEqual([res.status, res.body.error.reason], [404, 'CALL_NOT_FOUND'], `${method} ${suffix}`);
    }
    const list = await api.request('GET', '/v1.0/calls', { key: keyB });
    assert.ok(!list.body.result.some((c: Call) => c.id === call.id));
    const chain = await api.request('POST', '/v1.0/calls', {
      key: keyB,
      body: api.callBody({ master_call_id: call.id }),
    });
    assert.deepEqual([chain.status, chain.body.error.reason], [404, 'CALL_NOT_FOUND']);
    assert.equal((await api.request('GET', `/v1.0/calls/${call.id}`, { key: keyA })).body.status, 'dialing');
  });

  it('a retried POST /calls with the same Idempotency-Key replays the first answer and dials once', async () => {
    const before = api.fakes.signaling.attempts.length;
    const headers = { 'idempotency-key': 'retry-of-post-calls' };
    const first = await api.request('POST', '/v1.0/calls', { key: keyA, body: api.callBody(), headers });
    await api.service.whenIdle();
    const second = await api.request('POST', '/v1.0/calls', { key: keyA, body: api.callBody(), headers });
    await api.service.whenIdle();
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.deepEqual(second.body, first.body);
    assert.equal(api.fakes.signaling.attempts.length, before + 1);
  });

  it('pagination and filters: newest first by pages, status and direction filters, bad filter 400', async () => {
    const key = (await api.newCustomer('pages')).key;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.unshift((await api.create(key)).id);
      api.clock.advance(1);
    }
    await api.answer(ids[0]!);
    const seen: string[] = [];
    let token = '';
    do {
      const page = await api.request('GET', `/v1.0/calls?page_size=2${token ? `&page_token=${token}` : ''}`, { key });
      assert.equal(page.status, 200);
      assert.ok(page.body.result.length <= 2);
      seen.push(...page.body.result.map((c: Call) => c.id));
      token = page.body.next_page_token;
    } while (token !== '');
    assert.deepEqual(seen, ids);
    const progressing = await api.request('GET', '/v1.0/calls?status=progressing', { key });
    assert.deepEqual(
      progressing.body.result.map((c: Call) => c.id),
      [ids[0]],
    );
    assert.equal((await api.request('GET', '/v1.0/calls?direction=outgoing', { key })).body.result.length, 5);
    assert.equal((await api.request('GET', '/v1.0/calls?direction=incoming', { key })).body.result.length, 0);
    const bad = await api.request('GET', '/v1.0/calls?status=flying', { key });
    assert.deepEqual([bad.status, bad.body.error.details[0].field], [400, 'status']);
  });

  it('an incoming call is listed with direction=incoming', async () => {
    const key = (await api.newCustomer('incoming')).key;
    const customerId = (await api.request('GET', '/v1.0/customer', { key })).body.id as string;
    const call = await api.service.acceptIncoming({
      customer_id: customerId,
      source: address('tel', '+15550002222'),
      destination: address('tel', '+15550003333'),
      flow: { flow_id: FLOW },
      leg: new FakeIncomingLeg(),
    });
    const list = await api.request('GET', '/v1.0/calls?direction=incoming', { key });
    assert.deepEqual(
      list.body.result.map((c: Call) => c.id),
      [call.id],
    );
    await api.request('POST', `/v1.0/calls/${call.id}/hangup`, { key, body: { reason: 'busy' } });
    const ended = await api.request('GET', `/v1.0/calls/${call.id}`, { key });
    assert.deepEqual([ended.body.status, ended.body.hangup_by, ended.body.hangup_reason], ['hangup', 'local', 'busy']);
  });

  it('media controls before answer are 409 CALL_STATE_INVALID', async () => {
    const call = await api.create(keyA);
    const controls: [string, string, unknown?][] = [
      ['POST', 'talk', { text: 'hi', language: 'en-US' }],
      ['POST', 'play', { media_urls: ['https://example.com/a.wav'] }],
      ['POST', 'media_stop'],
      ['POST', 'hold'],
      ['POST', 'moh'],
      ['POST', 'mute', { direction: 'in' }],
      ['POST', 'silence'],
      ['POST', 'recording_start', { format: 'wav' }],
      ['POST', 'digits', { digits: '1' }],
    ];
    for (const [method, path, body] of controls) {
      const res = await api.request(method, `/v1.0/calls/${call.id}/${path}`, {
        key: keyA,
        ...(body !== undefined ? { body } : {}),
      });
      assert.deepEqual(
        [res.status, res.body.error.status, res.body.error.reason],
        [409, 'FAILED_PRECONDITION', 'CALL_STATE_INVALID'],
        path,
      );
    }
    assert.deepEqual(
      api.fakes.media.log.filter((l) => l.includes(call.id)),
      [],
    );
  });

  it('every control works on an answered call and returns the call as GET shows it', async () => {
    const call = await api.create(keyA);
    await api.answer(call.id);
    const leg = api.fakes.signaling.last(call.id);
    const ok = async (method: string, path: string, body?: unknown): Promise<Call> => {
      const res = await api.request(method, `/v1.0/calls/${call.id}/${path}`, {
        key: keyA,
        ...(body !== undefined ? { body } : {}),
      });
      assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body, (await api.request('GET', `/v1.0/calls/${call.id}`, { key: keyA })).body);
      return res.body as Call;
    };
    await ok('POST', 'talk', { text: 'hello', language: 'en-US' });
    await ok('POST', 'play', { media_urls: ['https://example.com/a.wav'] });
    await ok('POST', 'media_stop');
    assert.equal((await ok('POST', 'hold')).hold, true);
    await ok('POST', 'moh');
    assert.equal((await ok('DELETE', 'hold')).hold, false);
    await ok('DELETE', 'moh');
    assert.equal((await ok('POST', 'mute', { direction: 'both' })).mute_direction, 'both');
    assert.equal((await ok('DELETE', 'mute', { direction: 'in' })).mute_direction, 'out');
    await ok('POST', 'silence');
    await ok('DELETE', 'silence');
    await ok('POST', 'digits', { digits: '12#', duration: 100, interval: 50 });
    const recording = await ok('POST', 'recording_start', { format: 'wav', duration: 30 });
    assert.notEqual(recording.recording_id, NIL_UUID);
    assert.deepEqual(recording.recording_ids, [recording.recording_id]);
    const twice = await api.request('POST', `/v1.0/calls/${call.id}/recording_start`, { key: keyA, body: {} });
    assert.deepEqual([twice.status, twice.body.error.reason], [409, 'RECORDING_ALREADY_ACTIVE']);
    assert.equal((await ok('POST', 'recording_stop')).recording_id, NIL_UUID);
    const notActive = await api.request('POST', `/v1.0/calls/${call.id}/recording_stop`, { key: keyA });
    assert.deepEqual([notActive.status, notActive.body.error.reason], [409, 'RECORDING_NOT_ACTIVE']);
    const redirected = await ok('POST', 'redirect', {
      actions: [{ type: 'talk', option: { text: 'bye', language: 'en-US' } }],
    });
    assert.notEqual(redirected.activeflow_id, call.activeflow_id);
    assert.ok(api.fakes.flows.stopped.includes(call.activeflow_id));
    const legId = leg.leg_id;
    assert.deepEqual(
      api.fakes.media.log.filter((l) => l.includes(legId)),
      [
        `talk ${legId} hello`,
        `play ${legId} https://example.com/a.wav`,
        `stop ${legId}`,
        `held ${legId} true`,
        `moh ${legId} true`,
        `held ${legId} false`,
        `moh ${legId} false`,
        `mute ${legId} both`,
        `mute ${legId} out`,
        `silence ${legId} true`,
        `silence ${legId} false`,
        `digits ${legId} 12#`,
      ],
    );
    assert.deepEqual(leg.log, ['hold', 'unhold']);
    const hungUp = await ok('POST', 'hangup', {});
    assert.deepEqual([hungUp.status, hungUp.hangup_by, hungUp.hangup_reason], ['hangup', 'local', 'normal']);
    const types = (await api.store.outbox.listForResource('call', call.id)).map((e) => e.type);
    assert.deepEqual(types.slice(-4), ['call_updated', 'call_terminating', 'call_updated', 'call_hangup']);
  });

  it('control bodies are strict: a bad mute direction, an unknown field, an unsupported language are 400', async () => {
    const call = await api.create(keyA);
    const cases: [string, unknown, string][] = [
      ['mute', { direction: 'sideways' }, 'direction'],
      ['hold', { on: true }, 'on'],
      ['talk', { text: 'x', language: 'xx-YY' }, 'language'],
      ['digits', { digits: '12x' }, 'digits'],
      ['play', { media_urls: [] }, 'media_urls'],
      ['redirect', {}, 'flow_id'],
    ];
    for (const [path, body, field] of cases) {
      const res = await api.request('POST', `/v1.0/calls/${call.id}/${path}`, { key: keyA, body });
      assert.deepEqual([res.status, res.body.error.details?.[0]?.field], [400, field], path);
    }
  });

  it('after hangup every control is 409 CALL_ALREADY_HANGUP', async () => {
    const call = await api.create(keyA);
    const hung = await api.request('POST', `/v1.0/calls/${call.id}/hangup`, { key: keyA });
    assert.deepEqual([hung.body.status, hung.body.hangup_reason], ['hangup', 'cancel']);
    const controls: [string, string, unknown?][] = [
      ['POST', 'hangup'],
      ['POST', 'talk', { text: 'hi', language: 'en-US' }],
      ['POST', 'play', { media_urls: ['https://example.com/a.wav'] }],
      ['POST', 'media_stop'],
      ['POST', 'hold'],
      ['DELETE', 'hold'],
      ['POST', 'moh'],
      ['DELETE', 'moh'],
      ['POST', 'mute', { direction: 'in' }],
      ['DELETE', 'mute', { direction: 'in' }],
      ['POST', 'silence'],
      ['DELETE', 'silence'],
      ['POST', 'recording_start', {}],
      ['POST', 'recording_stop'],
      ['POST', 'digits', { digits: '1' }],
      ['POST', 'redirect', { flow_id: FLOW }],
      ['POST', 'chained_calls', { destination: address('tel', KR), flow_id: FLOW }],
    ];
    for (const [method, path, body] of controls) {
      const res = await api.request(method, `/v1.0/calls/${call.id}/${path}`, {
        key: keyA,
        ...(body !== undefined ? { body } : {}),
      });
      assert.deepEqual([res.status, res.body.error.reason], [409, 'CALL_ALREADY_HANGUP'], `${method} ${path}`);
    }
  });

  it('DELETE hangs a live call up, hides it, and emits call_deleted last; a second DELETE is 404', async () => {
    const key = (await api.newCustomer('delete')).key;
    const call = await api.create(key);
    await api.answer(call.id);
    const res = await api.request('DELETE', `/v1.0/calls/${call.id}`, { key });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.status, res.body.hangup_by, res.body.hangup_reason], ['hangup', 'local', 'normal']);
    assert.ok(res.body.tm_delete);
    assert.deepEqual(api.fakes.signaling.last(call.id).log, ['bye']);
    assert.equal((await api.request('GET', `/v1.0/calls/${call.id}`, { key })).status, 404);
    assert.deepEqual((await api.request('GET', '/v1.0/calls', { key })).body.result, []);
    const outbox = await api.store.outbox.listForResource('call', call.id);
    assert.deepEqual(
      outbox.slice(-2).map((e) => e.type),
      ['call_hangup', 'call_deleted'],
    );
    assert.deepEqual(outbox.at(-1)?.data, res.body);
    assert.deepEqual(
      outbox.map((e) => e.seq),
      outbox.map((_, i) => i + 1),
    );
    assert.equal((await api.request('DELETE', `/v1.0/calls/${call.id}`, { key })).status, 404);
  });
});

describe('calls API without telephony', () => {
  it('answers 503 CALLS_UNAVAILABLE', async () => {
    const base = await openTestStore(new FakeClock(), 'callbin-calls-none-');
    const server = await startTestServer(base, { rateLimitPerSec: 100, rateLimitBurst: 100 });
    try {
      const res = await server.request('GET', '/v1.0/calls');
      assert.equal(res.status, 503);
      assert.equal(res.body.error.reason, 'CALLS_UNAVAILABLE');
    } finally {
      await server.close();
    }
  });
});
