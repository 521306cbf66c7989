import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InProcessBroker, InProcessBus } from '../bus/index.ts';
import { CallService } from '../calls/index.ts';
import { CUSTOMER, answerOutgoing, dialOne, useRoutes } from '../calls/testing/call-fixtures.ts';
import { FakeMediaStreams, streamRequest } from '../calls/testing/fake-media-streams.ts';
import { makeHarness } from '../calls/testing/fake-ports.ts';
import { newId, silentLogger } from '../shared/index.ts';
import { runCommand, startCommandServer } from './command-server.ts';
import { ClusterCalls } from './remote-calls.ts';

const OTHER_CUSTOMER = 'c0000000-0000-4000-8000-000000000002';

const REQUEST = streamRequest({
  url: 'wss://bot.example.com/s?token=t',
  format: 'slin16',
  listen: 'both',
  custom_parameters: { a: '1' },
});

/** Node a holds an answered call and its streams; node b serves the API for it over the bus. */
async function twoNodes(options: { timeoutMs?: number } = {}) {
  const broker = new InProcessBroker();
  const streams = new FakeMediaStreams();
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
    n.streams.connecting = () => new Promise((r) => setTimeout(r, 200)); // ten times the command deadline
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
