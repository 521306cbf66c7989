import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CallsApi, startCallsApi } from '../../test/support/calls-api.ts';
import type { Call, MediaStream } from '../calls/index.ts';
import { FakeMediaStreams } from '../calls/testing/fake-media-streams.ts';
import { NIL_UUID, newId } from '../shared/index.ts';

const BOT = 'wss://bot.example.com/stream?key=secret';

describe('POST|GET|DELETE /calls/{id}/external_media', () => {
  const streams = new FakeMediaStreams('2026-11-25T10:00:00.000Z');
  let api: CallsApi;
  let keyA = '';
  let keyB = '';
  let answered: Call;
  const url = () => `/v1.0/calls/${answered.id}/external_media`;
  before(async () => {
    api = await startCallsApi({ name: 'callbin-external-media-', streams });
    keyA = (await api.newCustomer('a')).key;
    keyB = (await api.newCustomer('b')).key;
    answered = await api.call(keyA);
  });
  after(() => api.close());

  it('starts a stream with the defaults on the call leg: 200 with the running stream', async () => {
    const res = await api.request('POST', url(), { key: keyA, body: { external_host: BOT } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'running');
    assert.equal(res.body.reference_id, answered.id);
    const last = streams.starts.at(-1);
    assert.deepEqual(last?.request, {
      url: BOT,
      format: 'ulaw',
      listen: 'in',
      speak: 'in',
      custom_parameters: {},
      variables: {},
      activeflow_id: NIL_UUID,
    });
    assert.equal(last?.legId, api.fakes.signaling.last(answered.id).leg_id);
    await api.request('DELETE', url(), { key: keyA });
  });

  it('takes every supported option value', async () => {
    const res = await api.request('POST', url(), {
      key: keyA,
      body: {
        external_host: 'ws://10.0.0.5:8080/bot',
        transport: 'websocket',
        encapsulation: '',
        connection_type: 'client',
        format: 'slin16',
        direction_listen: 'both',
        direction_speak: '',
        data: '{"lang":"en","retries":3,"vip":true}',
      },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { request } = streams.starts.at(-1) ?? assert.fail('no start');
    assert.deepEqual(
      [request.format, request.listen, request.speak, request.custom_parameters],
      ['slin16', 'both', '', { lang: 'en', retries: '3', vip: 'true' }],
    );
    await api.request('DELETE', url(), { key: keyA });
  });

  const REFUSED: [string, Record<string, unknown>, string, string, RegExp?][] = [
    ['no external_host', { external_host: undefined }, 'external_host', 'MISSING_FIELD'],
    ['an http URL', { external_host: 'https://bot.example.com/' }, 'external_host', 'INVALID_STREAM_URL'],
    [
      'an over-long URL',
      { external_host: `wss://b.example/${'a'.repeat(2040)}` },
      'external_host',
      'INVALID_STREAM_URL',
    ],
    ['a URL that does not parse', { external_host: 'ws://a:b:c/' }, 'external_host', 'INVALID_STREAM_URL'],
    ['a URL with a fragment', { external_host: 'wss://b.example/#x' }, 'external_host', 'INVALID_STREAM_URL'],
    ['transport udp', { transport: 'udp' }, 'transport', 'UNSUPPORTED_STREAM_OPTION', /RTP over UDP is not supported/],
    ['transport tcp', { transport: 'tcp' }, 'transport', 'UNSUPPORTED_STREAM_OPTION'],
    ['encapsulation rtp', { encapsulation: 'rtp' }, 'encapsulation', 'UNSUPPORTED_STREAM_OPTION'],
    ['encapsulation audiosocket', { encapsulation: 'audiosocket' }, 'encapsulation', 'UNSUPPORTED_STREAM_OPTION'],
    ['encapsulation sln', { encapsulation: 'sln' }, 'encapsulation', 'UNSUPPORTED_STREAM_OPTION'],
    ['connection_type server', { connection_type: 'server' }, 'connection_type', 'UNSUPPORTED_STREAM_OPTION'],
    ['format alaw', { format: 'alaw' }, 'format', 'INVALID_VALUE'],
    ['direction_listen sideways', { direction_listen: 'sideways' }, 'direction_listen', 'INVALID_VALUE'],
    ['direction_speak out', { direction_speak: 'out' }, 'direction_speak', 'INVALID_VALUE'],
    [
      'listen "" and speak ""',
      { direction_listen: '', direction_speak: '' },
      'direction_listen',
      'UNSUPPORTED_STREAM_OPTION',
    ],
    ['data over 4096 characters', { data: 'x'.repeat(4097) }, 'data', 'TOO_LONG'],
    ['data not a string', { data: { a: 1 } }, 'data', 'INVALID_TYPE'],
    ['an unknown field', { codec: 'opus' }, 'codec', 'UNKNOWN_FIELD'],
  ];
  for (const [what, fields, field, reason, message] of REFUSED) {
    it(`400 ${reason} on ${field} for ${what}, nothing started`, async () => {
      const before = streams.starts.length;
      const res = await api.request('POST', url(), { key: keyA, body: { external_host: BOT, ...fields } });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      const issue = res.body.error.details.find((d: { field: string }) => d.field === field);
      assert.equal(issue?.reason, reason, JSON.stringify(res.body.error.details));
      if (message) assert.match(issue.message, message);
      assert.equal(streams.starts.length, before);
    });
  }

  it('a bot that cannot be reached: 200 with the stream stopped and its reason', async () => {
    streams.failWith = 'connect_failed';
    const res = await api.request('POST', url(), { key: keyA, body: { external_host: BOT } });
    assert.deepEqual([res.status, res.body.status, res.body.stop_reason], [200, 'stopped', 'connect_failed']);
    assert.deepEqual((await api.request('GET', url(), { key: keyA })).body, { result: [] });
  });

  it('GET lists the live streams; DELETE stops one by external_media_id, then all', async () => {
    const body = { external_host: BOT, direction_speak: '' };
    const one = (await api.request('POST', url(), { key: keyA, body })).body;
    const two = (await api.request('POST', url(), { key: keyA, body })).body;
    const listed = await api.request('GET', url(), { key: keyA });
    assert.deepEqual(
      [listed.status, listed.body.result.map((s: MediaStream) => s.id).sort()],
      [200, [one.id, two.id].sort()],
    );
    const stopOne = await api.request('DELETE', `${url()}?external_media_id=${one.id}`, { key: keyA });
    assert.equal(stopOne.status, 200);
    assert.deepEqual(
      stopOne.body.result.map((s: MediaStream) => [s.id, s.status]),
      [[one.id, 'stopped']],
    );
    const unknown = await api.request('DELETE', `${url()}?external_media_id=${newId()}`, { key: keyA });
    assert.deepEqual([unknown.status, unknown.body.error.reason], [404, 'MEDIA_STREAM_NOT_FOUND']);
    const badId = await api.request('DELETE', `${url()}?external_media_id=nope`, { key: keyA });
    assert.deepEqual([badId.status, badId.body.error.reason], [400, 'INVALID_ID']);
    const all = await api.request('DELETE', url(), { key: keyA });
    assert.deepEqual(
      all.body.result.map((s: MediaStream) => s.id),
      [two.id],
    );
    assert.deepEqual((await api.request('GET', url(), { key: keyA })).body, { result: [] });
  });

  it("another customer's call is 404 for POST, GET and DELETE, and nothing starts", async () => {
    const before = streams.starts.length;
    for (const [method, body] of [['POST', { external_host: BOT }], ['GET'], ['DELETE']] as const) {
      const res = await api.request(method, url(), { key: keyB, body });
      assert.deepEqual([res.status, res.body.error.reason], [404, 'CALL_NOT_FOUND'], method);
    }
    assert.equal(streams.starts.length, before);
  });

  it('an unanswered call is 409 CALL_STATE_INVALID; a hung-up one 409 CALL_ALREADY_HANGUP (GET lists nothing)', async () => {
    const dialing = await api.call(keyA, false);
    const early = await api.request('POST', `/v1.0/calls/${dialing.id}/external_media`, {
      key: keyA,
      body: { external_host: BOT },
    });
    assert.deepEqual([early.status, early.body.error.reason], [409, 'CALL_STATE_INVALID']);
    const ended = await api.call(keyA);
    await api.request('POST', `/v1.0/calls/${ended.id}/hangup`, { key: keyA });
    await api.service.whenIdle();
    const path = `/v1.0/calls/${ended.id}/external_media`;
    const late = await api.request('POST', path, { key: keyA, body: { external_host: BOT } });
    assert.deepEqual([late.status, late.body.error.reason], [409, 'CALL_ALREADY_HANGUP']);
    const stop = await api.request('DELETE', path, { key: keyA });
    assert.deepEqual([stop.status, stop.body.error.reason], [409, 'CALL_ALREADY_HANGUP']);
    assert.deepEqual((await api.request('GET', path, { key: keyA })).body, { result: [] });
  });
});
