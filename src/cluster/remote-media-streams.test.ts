import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InProcessBroker, InProcessBus } from '../bus/index.ts';
import { CallService } from '../calls/index.ts';
import type {
  MediaStream,
  MediaStreamOwner,
  MediaStreamPort,
  MediaStreamRequest,
  StartedMediaStream,
} from '../calls/index.ts';
import { CUSTOMER, answerOutgoing, dialOne, useRoutes } from '../calls/testing/call-fixtures.ts';
import { makeHarness } from '../calls/testing/fake-ports.ts';
import { NIL_UUID, NotFoundError, newId, silentLogger } from '../shared/index.ts';
import { runCommand, startCommandServer } from './command-server.ts';
import { ClusterCalls } from './remote-calls.ts';

const OTHER_CUSTOMER = 'c0000000-0000-4000-8000-000000000002';

/** Streams of node a, in memory: each start runs at once. */
class MemoryStreams implements MediaStreamPort {
  readonly requests: MediaStreamRequest[] = [];
  readonly live = new Map<string, MediaStream>();
  /** How long the bot takes to accept, in ms. */
  connectMs = 0;
  async start(_legId: string, owner: MediaStreamOwner, request: MediaStreamRequest): Promise<StartedMediaStream> {
    this.requests.push(request);
    if (this.connectMs > 0) await new Promise((r) => setTimeout(r, this.connectMs));
    const stream: MediaStream = {
      id: newId(),
      customer_id: owner.customer_id,
      reference_type: 'call',
      reference_id: owner.call_id,
      activeflow_id: request.activeflow_id,
      status: 'running',
      transport: 'websocket',
      encapsulation: 'none',
      external_host: 'wss://bot.example.com/s',
      format: request.format,
      direction_listen: request.listen,
      direction_speak: request.speak,
      stop_reason: '',
      tm_create: '2026-01-01T00:00:00.000Z',
      tm_start: '2026-01-01T00:00:00.000Z',
      tm_end: '',
    };
    this.live.set(stream.id, stream);
    return { stream, ended: new Promise(() => undefined) };
  }
  async stop(callId: string, streamId?: string): Promise<MediaStream[]> {
    const picked = this.list(callId).filter((s) => streamId === undefined || s.id === streamId);
    if (streamId !== undefined && picked.length === 0) throw new NotFoundError('MEDIA_STREAM_NOT_FOUND', 'no stream');
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

const REQUEST: MediaStreamRequest = {
  url: 'wss://bot.example.com/s?token=t',
  format: 'slin16',
  listen: 'both',
  speak: 'in',
  custom_parameters: { a: '1' },
  variables: {},
  activeflow_id: NIL_UUID,
};

/** Node a holds an answered call and its streams; node b serves the API for it over the bus. */
async function twoNodes(options: { timeoutMs?: number } = {}) {
  const broker = new InProcessBroker();
  const streams = new MemoryStreams();
  const h = makeHarness();
  const { clock, store, signaling, media, flows, routing, directory, recorder } = h;
  const a = {
    ...h,
    service: new CallService({ clock, store, signaling, media, flows, routing, directory, recorder, streams }),
  };
  const deps = {
    calls: a.service,
    flows: { get: async () => undefined, stop: async () => undefined },
    conferences: {
      kick: async () => assert.fail('no conference'),
      setMuted: async () => assert.fail('no conference'),
      update: async () => assert.fail('no conference'),
      delete: async () => assert.fail('no conference'),
    },
    logger: silentLogger,
  };
  startCommandServer({ ...deps, bus: new InProcessBus({ broker }), nodeId: 'node-a' });
  useRoutes(a, 1);
  const call = await dialOne(a);
  await answerOutgoing(a, call.id);
  const calls = new ClusterCalls({
    nodeId: 'node-b',
    bus: new InProcessBus({ broker }),
    local: makeHarness().service,
    calls: { ownerOf: async (id) => (id === call.id ? 'node-a' : undefined) },
    transferEvents: { listForResource: async () => [] },
    ...options,
  });
  return { a, deps, streams, call, calls };
}

describe('media streams across nodes', () => {
  it("start, list and stop run on the call's node; only the resource crosses the wire", async () => {
    const n = await twoNodes();
    const started = await n.calls.startMediaStream(n.call.id, REQUEST, CUSTOMER);
    assert.deepEqual(Object.keys(started), ['stream']);
    assert.equal(started.stream.reference_id, n.call.id);
    assert.deepEqual(n.streams.requests, [REQUEST]);
    assert.deepEqual(await n.calls.listMediaStreams(n.call.id, CUSTOMER), [started.stream]);
    await assert.rejects(n.calls.stopMediaStream(n.call.id, newId(), CUSTOMER), {
      name: 'NotFoundError',
      code: 'MEDIA_STREAM_NOT_FOUND',
    });
    const stopped = await n.calls.stopMediaStream(n.call.id, started.stream.id, CUSTOMER);
    assert.deepEqual(
      stopped.map((s) => [s.id, s.status]),
      [[started.stream.id, 'stopped']],
    );
    assert.deepEqual(await n.calls.stopMediaStream(n.call.id, undefined, CUSTOMER), []);
  });

  it("another customer's call is 404 on its node; a hung-up call 409, listed as none", async () => {
    const n = await twoNodes();
    for (const op of [
      () => n.calls.startMediaStream(n.call.id, REQUEST, OTHER_CUSTOMER),
      () => n.calls.stopMediaStream(n.call.id, undefined, OTHER_CUSTOMER),
      () => n.calls.listMediaStreams(n.call.id, OTHER_CUSTOMER),
    ])
      await assert.rejects(op(), { code: 'CALL_NOT_FOUND' });
    assert.deepEqual(n.streams.requests, []);
    await n.a.service.hangup(n.call.id);
    await assert.rejects(n.calls.startMediaStream(n.call.id, REQUEST, CUSTOMER), { code: 'CALL_ALREADY_HANGUP' });
    await assert.rejects(n.calls.stopMediaStream(n.call.id, undefined, CUSTOMER), { code: 'CALL_ALREADY_HANGUP' });
    assert.deepEqual(await n.calls.listMediaStreams(n.call.id, CUSTOMER), []);
  });

  it('a start waits past the command deadline for the bot to accept, other commands do not', async () => {
    const n = await twoNodes({ timeoutMs: 20 });
    n.streams.connectMs = 200;
    const { stream } = await n.calls.startMediaStream(n.call.id, REQUEST, CUSTOMER);
    assert.equal(stream.status, 'running');
    n.a.media.stop = () => new Promise(() => undefined); // an owner that never finishes the command
    await assert.rejects(n.calls.stopMedia(n.call.id, CUSTOMER), { code: 'NODE_UNAVAILABLE' });
  });

  it('the command server refuses a stream request or stream id of the wrong shape', async () => {
    const n = await twoNodes();
    const bad: unknown[][] = [
      [{ ...REQUEST, format: 'opus' }],
      [{ ...REQUEST, custom_parameters: { a: 1 } }],
      [{ ...REQUEST, url: 7 }],
      ['not an object'],
    ];
    for (const args of bad) {
      const reply = JSON.parse(
        await runCommand(
          n.deps,
          JSON.stringify({ op: 'startMediaStream', customerId: CUSTOMER, callId: n.call.id, args }),
        ),
      );
      assert.deepEqual([reply.ok, reply.error.code], [false, 'INVALID_ARGUMENT'], JSON.stringify(args));
    }
    const stop = JSON.parse(
      await runCommand(
        n.deps,
        JSON.stringify({ op: 'stopMediaStream', customerId: CUSTOMER, callId: n.call.id, args: [42] }),
      ),
    );
    assert.deepEqual([stop.ok, stop.error.code], [false, 'INVALID_ARGUMENT']);
    assert.deepEqual(n.streams.requests, []);
  });
});
