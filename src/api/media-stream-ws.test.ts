import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { type CallsApi, startCallsApi } from '../../test/support/calls-api.ts';
import type { CallService } from '../calls/index.ts';
import { EventHub } from '../events/index.ts';
import { newId } from '../shared/index.ts';
import type { MediaTap, MediaTapOptions } from './routes/calls-deps.ts';
import { MAX_LISTENERS_PER_CALL } from './routes/media-stream-ws.ts';

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
  let s: CallsApi;
  let tap: TestTap;
  let keyA = '';
  let keyB = '';
  const path = (callId: string, key: string, query = '') =>
    `${s.wsBase}/v1.0/calls/${callId}/media_stream?accesskey=${encodeURIComponent(key)}${query}`;
  before(async () => {
    s = await startCallsApi({
      name: 'callbin-media-stream-ws-',
      events: new EventHub(),
      mediaTap: (service) => (tap = new TestTap(service)),
      listen: true,
    });
    keyA = (await s.newCustomer('a')).key;
    keyB = (await s.newCustomer('b')).key;
  });
  after(() => s.close());

  it("sends the tap's bytes as binary frames, and closes 1000 when the call ends", async () => {
    const call = await s.call(keyA);
    const client = await connect(path(call.id, keyA, '&encapsulation=sln&track=both'));
    assert.ok(isClient(client));
    const tapped = tap.taps.at(-1) ?? assert.fail('no tap');
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
    const tapped = tap.taps.at(-1) ?? assert.fail('no tap');
    assert.deepEqual(tapped.options, { encapsulation: 'rtp', track: 'in' });
    client.ws.close();
    await client.closed;
    await until('the tap stopped', () => tapped.stopped);
  });

  it('refuses before the upgrade: 404 for an unknown or foreign call, 400 for a bad query', async () => {
    const call = await s.call(keyA);
    const taps = tap.taps.length;
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
    assert.equal(tap.taps.length, taps);
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
    const mine = tap.taps.filter((t) => t.callId === call.id);
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
    const tapped = tap.taps.at(-1) ?? assert.fail('no tap');
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
