import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { CallService } from '../calls/index.ts';
import type { Call } from '../calls/index.ts';
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
import { FakeClock, NIL_UUID, newId, silentLogger } from '../shared/index.ts';
import { openStore } from '../store/index.ts';
import { CallStoreAdapter } from '../telephony/persistence/call-store-adapter.ts';
import { buildServer, ensureProjectAdmin } from './index.ts';
import type { MediaTap, MediaTapOptions } from './routes/calls-deps.ts';
import { MAX_LISTENERS_PER_CALL } from './routes/media-stream-ws.ts';

const FLOW = '11111111-1111-4111-8111-111111111111';

/** One listener the tap started: what it was asked, and the ends the test plays. */
interface Tapped {
  callId: string;
  options: MediaTapOptions;
  emit(bytes: Buffer): void;
  end(): void;
  stopped: boolean;
}

/** A MediaTap over the real CallService's calls: a call without a live leg here gets none. */
class TestTap implements MediaTap {
  readonly taps: Tapped[] = [];
  constructor(private readonly service: CallService) {}
  listen(
    callId: string,
    _customerId: string,
    options: MediaTapOptions,
    onFrame: (b: Buffer) => void,
    onEnd: () => void,
  ) {
    if (this.service.legId(callId) === undefined) return undefined;
    const tapped: Tapped = { callId, options, emit: onFrame, end: onEnd, stopped: false };
    this.taps.push(tapped);
    return () => {
      tapped.stopped = true;
    };
  }
}

async function startServer() {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-media-stream-ws-'));
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 10, 0, 0, 0));
  const store = await openStore({ dataDir: dir, clock });
  const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
  if (!admin) throw new Error('project admin was not created');
  const hub = new EventHub();
  const adapter = new CallStoreAdapter({ store, events: new EventPublisher({ hub }) });
  const signaling = new FakeSignaling();
  const flows = new FakeFlows();
  flows.knownFlowIds.add(FLOW);
  const routing = new FakeRouting();
  routing.providers = [provider('p1')];
  routing.routes = [route('r1', { provider_id: 'p1', target: '+82', customer_id: NIL_UUID })];
  const ports = { media: new FakeMedia(), directory: new FakeDirectory(), recorder: new FakeRecorder() };
  const service = new CallService({ store: adapter, signaling, flows, routing, ...ports, clock });
  const tap = new TestTap(service);
  const app = await buildServer({
    store,
    clock,
    logger: silentLogger,
    jwtSecret: randomBytes(32),
    sipDomain: 'sip.test',
    mode: 'local',
    rateLimitPerSec: 10_000,
    rateLimitBurst: 10_000,
    events: hub,
    calls: { service, repo: adapter, mediaTap: tap },
  });
  const base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
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
    return res.json();
  };
  const newCustomerKey = async (name: string): Promise<string> => {
    const c = await request('POST', '/v1.0/customers', admin.accessKey, { name });
    return (await request('POST', '/v1.0/accesskeys', admin.accessKey, { name: 'k', customer_id: c.id })).token;
  };
  const call = async (key: string, answered = true): Promise<Call> => {
    const res = await request('POST', '/v1.0/calls', key, {
      source: address('tel', '+15550001111'),
      destinations: [address('tel', '+821012345678')],
      flow_id: FLOW,
    });
    await service.whenIdle();
    const created = res.calls[0] as Call;
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
  return { base, service, tap, request, newCustomerKey, call, close };
}

/** A client socket: binary frames received, and how it closed. */
interface Client {
  ws: WebSocket;
  frames: Buffer[];
  closed: Promise<{ code: number }>;
}

/** Opens `path`; resolves with the client once open, or with the HTTP status and error body the upgrade got. */
function connect(url: string): Promise<Client | { status: number; body: any }> {
  const ws = new WebSocket(url);
  const frames: Buffer[] = [];
  ws.on('message', (data, isBinary) => {
    assert.ok(isBinary, 'every frame is binary');
    frames.push(data as Buffer);
  });
  const closed = new Promise<{ code: number }>((resolve) => ws.once('close', (code) => resolve({ code })));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('unexpected-response', (req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        req.socket?.destroy(); // with this listener, ws leaves the refused connection to the caller
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      });
    });
    ws.once('error', reject);
  });
}

function isClient(c: Client | { status: number }): c is Client {
  return 'ws' in c;
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let turn = 0; turn < 10_000 && !check(); turn++) await new Promise((r) => setImmediate(r));
  assert.ok(check(), what);
}

describe('GET /calls/{id}/media_stream', () => {
  let s: Awaited<ReturnType<typeof startServer>>;
  let keyA = '';
  let keyB = '';
  const path = (callId: string, key: string, query = '') =>
    `${s.base}/v1.0/calls/${callId}/media_stream?accesskey=${encodeURIComponent(key)}${query}`;
  before(async () => {
    s = await startServer();
    keyA = await s.newCustomerKey('a');
    keyB = await s.newCustomerKey('b');
  });
  after(() => s.close());

  it("sends the tap's bytes as binary frames, and closes 1000 when the call ends", async () => {
    const call = await s.call(keyA);
    const client = await connect(path(call.id, keyA, '&encapsulation=sln&track=both'));
    assert.ok(isClient(client));
    const tapped = s.tap.taps.at(-1) ?? assert.fail('no tap');
    assert.deepEqual([tapped.callId, tapped.options], [call.id, { encapsulation: 'sln', track: 'both' }]);
    const frame = Buffer.alloc(320, 7);
    tapped.emit(frame);
    frame.fill(9); // the tap may reuse its buffer once the call returned
    tapped.emit(Buffer.from([1, 2, 3]));
    client.ws.send('ignored'); // what the client sends is ignored
    await until('two frames', () => client.frames.length === 2);
    assert.deepEqual(client.frames, [Buffer.alloc(320, 7), Buffer.from([1, 2, 3])]);
    tapped.end();
    assert.equal((await client.closed).code, 1000);
    assert.equal(tapped.stopped, true);
  });

  it('defaults to rtp of the inbound track; closing the socket stops the tap', async () => {
    const call = await s.call(keyA);
    const client = await connect(path(call.id, keyA));
    assert.ok(isClient(client));
    const tapped = s.tap.taps.at(-1) ?? assert.fail('no tap');
    assert.deepEqual(tapped.options, { encapsulation: 'rtp', track: 'in' });
    client.ws.close();
    await client.closed;
    await until('the tap stopped', () => tapped.stopped);
  });

  it('refuses before the upgrade: 404 for an unknown or foreign call, 400 for a bad query', async () => {
    const call = await s.call(keyA);
    const taps = s.tap.taps.length;
    const cases: [string, number, string][] = [
      [path(newId(), keyA), 404, 'CALL_NOT_FOUND'],
      [path(call.id, keyB), 404, 'CALL_NOT_FOUND'],
      [path(call.id, keyA, '&encapsulation=mp3'), 400, 'INVALID_VALUE'],
      [path(call.id, keyA, '&track=sideways'), 400, 'INVALID_VALUE'],
      [path(call.id, keyA, '&volume=11'), 400, 'UNKNOWN_FIELD'],
      [path('not-a-uuid', keyA), 404, 'CALL_NOT_FOUND'],
    ];
    for (const [url, status, reason] of cases) {
      const res = await connect(url);
      assert.ok(!isClient(res), url);
      assert.deepEqual([res.status, res.body?.error?.reason], [status, reason], url);
    }
    assert.equal(s.tap.taps.length, taps);
  });

  it('409 before the upgrade for a call with no live leg here, and for a hung-up call', async () => {
    const dialing = await s.call(keyA, false);
    const noLeg = await connect(path(dialing.id, keyA));
    assert.ok(!isClient(noLeg));
    assert.deepEqual([noLeg.status, noLeg.body.error.reason], [409, 'CALL_STATE_INVALID']);
    assert.match(noLeg.body.error.message, /must reach the node that owns the call/);
    const ended = await s.call(keyA);
    await s.service.hangup(ended.id);
    const late = await connect(path(ended.id, keyA));
    assert.ok(!isClient(late));
    assert.deepEqual([late.status, late.body.error.reason], [409, 'CALL_ALREADY_HANGUP']);
  });

  it(`a call has at most ${MAX_LISTENERS_PER_CALL} listening sockets (409 MEDIA_STREAM_LIMIT); one closing frees a place`, async () => {
    const call = await s.call(keyA);
    const clients: Client[] = [];
    for (let i = 0; i < MAX_LISTENERS_PER_CALL; i++) {
      const c = await connect(path(call.id, keyA));
      assert.ok(isClient(c));
      clients.push(c);
    }
    const over = await connect(path(call.id, keyA));
    assert.ok(!isClient(over));
    assert.deepEqual([over.status, over.body.error.reason], [409, 'MEDIA_STREAM_LIMIT']);
    clients[0]?.ws.close();
    await clients[0]?.closed;
    const mine = s.tap.taps.filter((t) => t.callId === call.id);
    await until('one tap stopped', () => mine.some((t) => t.stopped));
    const again = await connect(path(call.id, keyA));
    assert.ok(isClient(again));
    for (const c of [...clients.slice(1), again]) c.ws.terminate();
  });

  it('a client frame over 64 KiB closes the socket 1009', async () => {
    const call = await s.call(keyA);
    const client = await connect(path(call.id, keyA));
    assert.ok(isClient(client));
    client.ws.send(Buffer.alloc(64 * 1024 + 1));
    assert.equal((await client.closed).code, 1009);
  });

  it('drops frames instead of queueing them while the client does not read', async () => {
    const call = await s.call(keyA);
    const client = await connect(path(call.id, keyA));
    assert.ok(isClient(client));
    const tapped = s.tap.taps.at(-1) ?? assert.fail('no tap');
    // ws exposes no public pause; stopping the TCP reads makes the server's send buffer fill up.
    const socket = (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const total = 200;
    const big = Buffer.alloc(128 * 1024, 1);
    for (let i = 0; i < total; i++) tapped.emit(big);
    tapped.end();
    socket.resume();
    assert.equal((await client.closed).code, 1000);
    assert.ok(client.frames.length > 0, 'frames were sent');
    assert.ok(client.frames.length < total, `${client.frames.length} of ${total} frames were queued`);
  });
});
