import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallService } from '../calls/index.ts';
import type {
  Call,
  MediaStream,
  MediaStreamOwner,
  MediaStreamPort,
  MediaStreamRequest,
  MediaStreamStopReason,
  StartedMediaStream,
} from '../calls/index.ts';
import {
  FakeDirectory,
  FakeFlows,
  FakeMedia,
  FakeRecorder,
  FakeRouting,
  FakeSignaling,
  address,
  provider,
} from '../calls/testing/fake-ports.ts';
import { route } from '../calls/testing/call-fixtures.ts';
import { EventHub, EventPublisher } from '../events/index.ts';
import { FakeClock, NIL_UUID, NotFoundError, newId, silentLogger } from '../shared/index.ts';
import { openStore } from '../store/index.ts';
import { CallStoreAdapter } from '../telephony/persistence/call-store-adapter.ts';
import { buildServer, ensureProjectAdmin } from './index.ts';

const FLOW = '11111111-1111-4111-8111-111111111111';
const BOT = 'wss://bot.example.com/stream?key=secret';

/** A MediaStreamPort that records each start and keeps its streams in memory (the real one is tested in telephony). */
class RecordingStreams implements MediaStreamPort {
  readonly starts: { legId: string; owner: MediaStreamOwner; request: MediaStreamRequest }[] = [];
  readonly live = new Map<string, MediaStream>();
  /** When set, the next start cannot reach the bot and ends at once with this reason. */
  failWith: MediaStreamStopReason | undefined;

  async start(legId: string, owner: MediaStreamOwner, request: MediaStreamRequest): Promise<StartedMediaStream> {
    this.starts.push({ legId, owner, request });
    const failed = this.failWith;
    this.failWith = undefined;
    const at = '2026-11-25T10:00:00.000Z';
    // The resource's fields, a few to a line.
    const stream: MediaStream = {
      ...{ id: newId(), customer_id: owner.customer_id, reference_type: 'call', reference_id: owner.call_id },
      ...{ activeflow_id: request.activeflow_id, transport: 'websocket', encapsulation: 'none' },
      ...{ external_host: request.url.replace(/\?.*$/, ''), format: request.format },
      ...{ direction_listen: request.listen, direction_speak: request.speak },
      ...{ status: failed ? 'stopped' : 'running', stop_reason: failed ?? '' },
      ...{ tm_create: at, tm_start: failed ? '' : at, tm_end: failed ? at : '' },
    };
    if (!failed) this.live.set(stream.id, stream);
    return { stream, ended: new Promise(() => undefined) };
  }
  async stop(callId: string, streamId?: string): Promise<MediaStream[]> {
    const picked = this.list(callId).filter((s) => streamId === undefined || s.id === streamId);
    if (streamId !== undefined && picked.length === 0)
      throw new NotFoundError('MEDIA_STREAM_NOT_FOUND', `call ${callId} has no media stream ${streamId}`);
    for (const s of picked) this.live.delete(s.id);
    return picked.map((s) => ({ ...s, status: 'stopped', stop_reason: 'stopped' }));
  }
  list(callId: string): MediaStream[] {
    return [...this.live.values()].filter((s) => s.reference_id === callId);
  }
  listen(): () => void {
    return () => undefined;
  }
}

async function startApi() {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-external-media-'));
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 10, 0, 0, 0));
  const store = await openStore({ dataDir: dir, clock });
  const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
  if (!admin) throw new Error('project admin was not created');
  const adapter = new CallStoreAdapter({ store, events: new EventPublisher({ hub: new EventHub() }) });
  const signaling = new FakeSignaling();
  const flows = new FakeFlows();
  flows.knownFlowIds.add(FLOW);
  const routing = new FakeRouting();
  routing.providers = [provider('p1')];
  routing.routes = [route('r1', { provider_id: 'p1', target: '+82', customer_id: NIL_UUID })];
  const streams = new RecordingStreams();
  const ports = { media: new FakeMedia(), directory: new FakeDirectory(), recorder: new FakeRecorder() };
  const service = new CallService({ store: adapter, signaling, flows, routing, ...ports, streams, clock });
  const app = await buildServer({
    store,
    clock,
    logger: silentLogger,
    jwtSecret: randomBytes(32),
    sipDomain: 'sip.test',
    mode: 'local',
    rateLimitPerSec: 10_000,
    rateLimitBurst: 10_000,
    calls: { service, repo: adapter },
  });
  const request = async (method: string, url: string, key: string, body?: unknown) => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  };
  const newCustomerKey = async (name: string): Promise<string> => {
    const c = await request('POST', '/v1.0/customers', admin.accessKey, { name });
    const k = await request('POST', '/v1.0/accesskeys', admin.accessKey, { name: 'k', customer_id: c.body.id });
    return k.body.token as string;
  };
  /** A call of `key`'s customer, answered unless `answered` is false. */
  const call = async (key: string, answered = true): Promise<Call> => {
    const res = await request('POST', '/v1.0/calls', key, {
      source: address('tel', '+15550001111'),
      destinations: [address('tel', '+821012345678')],
      flow_id: FLOW,
    });
    await service.whenIdle();
    const created = res.body.calls[0] as Call;
    if (answered) {
      signaling.last(created.id).ring();
      signaling.last(created.id).answer();
      await service.whenIdle();
    }
    return created;
  };
  const close = async () => {
    await service.whenIdle();
    service.close();
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { service, signaling, streams, request, newCustomerKey, call, close };
}

describe('POST|GET|DELETE /calls/{id}/external_media', () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  let keyA = '';
  let keyB = '';
  let answered: Call;
  const url = () => `/v1.0/calls/${answered.id}/external_media`;
  before(async () => {
    api = await startApi();
    keyA = await api.newCustomerKey('a');
    keyB = await api.newCustomerKey('b');
    answered = await api.call(keyA);
  });
  after(() => api.close());

  it('starts a stream with the defaults on the call leg: 200 with the running stream', async () => {
    const res = await api.request('POST', url(), keyA, { external_host: BOT });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'running');
    assert.equal(res.body.reference_id, answered.id);
    const last = api.streams.starts.at(-1);
    assert.deepEqual(last?.request, {
      url: BOT,
      format: 'ulaw',
      listen: 'in',
      speak: 'in',
      custom_parameters: {},
      variables: {},
      activeflow_id: NIL_UUID,
    });
    assert.equal(last?.legId, api.signaling.last(answered.id).leg_id);
    await api.request('DELETE', url(), keyA);
  });

  it('takes every supported option value', async () => {
    const res = await api.request('POST', url(), keyA, {
      external_host: 'ws://10.0.0.5:8080/bot',
      transport: 'websocket',
      encapsulation: '',
      connection_type: 'client',
      format: 'slin16',
      direction_listen: 'both',
      direction_speak: '',
      data: '{"lang":"en","retries":3,"vip":true}',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { request } = api.streams.starts.at(-1) ?? assert.fail('no start');
    assert.deepEqual(
      [request.format, request.listen, request.speak, request.custom_parameters],
      ['slin16', 'both', '', { lang: 'en', retries: '3', vip: 'true' }],
    );
    await api.request('DELETE', url(), keyA);
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
      const before = api.streams.starts.length;
      const res = await api.request('POST', url(), keyA, { external_host: BOT, ...fields });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      const issue = res.body.error.details.find((d: { field: string }) => d.field === field);
      assert.equal(issue?.reason, reason, JSON.stringify(res.body.error.details));
      if (message) assert.match(issue.message, message);
      assert.equal(api.streams.starts.length, before);
    });
  }

  it('a bot that cannot be reached: 200 with the stream stopped and its reason', async () => {
    api.streams.failWith = 'connect_failed';
    const res = await api.request('POST', url(), keyA, { external_host: BOT });
    assert.deepEqual([res.status, res.body.status, res.body.stop_reason], [200, 'stopped', 'connect_failed']);
    assert.deepEqual((await api.request('GET', url(), keyA)).body, { result: [] });
  });

  it('GET lists the live streams; DELETE stops one by external_media_id, then all', async () => {
    const one = (await api.request('POST', url(), keyA, { external_host: BOT, direction_speak: '' })).body;
    const two = (await api.request('POST', url(), keyA, { external_host: BOT, direction_speak: '' })).body;
    const listed = await api.request('GET', url(), keyA);
    assert.deepEqual(
      [listed.status, listed.body.result.map((s: MediaStream) => s.id).sort()],
      [200, [one.id, two.id].sort()],
    );
    const stopOne = await api.request('DELETE', `${url()}?external_media_id=${one.id}`, keyA);
    assert.equal(stopOne.status, 200);
    assert.deepEqual(
      stopOne.body.result.map((s: MediaStream) => [s.id, s.status]),
      [[one.id, 'stopped']],
    );
    const unknown = await api.request('DELETE', `${url()}?external_media_id=${newId()}`, keyA);
    assert.deepEqual([unknown.status, unknown.body.error.reason], [404, 'MEDIA_STREAM_NOT_FOUND']);
    const badId = await api.request('DELETE', `${url()}?external_media_id=nope`, keyA);
    assert.deepEqual([badId.status, badId.body.error.reason], [400, 'INVALID_ID']);
    const all = await api.request('DELETE', url(), keyA);
    assert.deepEqual(
      all.body.result.map((s: MediaStream) => s.id),
      [two.id],
    );
    assert.deepEqual((await api.request('GET', url(), keyA)).body, { result: [] });
  });

  it("another customer's call is 404 for POST, GET and DELETE, and nothing starts", async () => {
    const before = api.streams.starts.length;
    for (const [method, body] of [['POST', { external_host: BOT }], ['GET'], ['DELETE']] as const) {
      const res = await api.request(method, url(), keyB, body);
      assert.deepEqual([res.status, res.body.error.reason], [404, 'CALL_NOT_FOUND'], method);
    }
    assert.equal(api.streams.starts.length, before);
  });

  it('an unanswered call is 409 CALL_STATE_INVALID; a hung-up one 409 CALL_ALREADY_HANGUP (GET lists nothing)', async () => {
    const dialing = await api.call(keyA, false);
    const early = await api.request('POST', `/v1.0/calls/${dialing.id}/external_media`, keyA, { external_host: BOT });
    assert.deepEqual([early.status, early.body.error.reason], [409, 'CALL_STATE_INVALID']);
    const ended = await api.call(keyA);
    await api.request('POST', `/v1.0/calls/${ended.id}/hangup`, keyA);
    await api.service.whenIdle();
    const path = `/v1.0/calls/${ended.id}/external_media`;
    const late = await api.request('POST', path, keyA, { external_host: BOT });
    assert.deepEqual([late.status, late.body.error.reason], [409, 'CALL_ALREADY_HANGUP']);
    const stop = await api.request('DELETE', path, keyA);
    assert.deepEqual([stop.status, stop.body.error.reason], [409, 'CALL_ALREADY_HANGUP']);
    assert.deepEqual((await api.request('GET', path, keyA)).body, { result: [] });
  });
});
