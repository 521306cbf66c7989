import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { newId } from '../shared/index.ts';
import { CallService } from './call-service.ts';
import type { MediaStreamPort } from './media-stream.ts';
import { CUSTOMER, acceptOne, answerOutgoing, current, dialOne, useRoutes } from './testing/call-fixtures.ts';
import { FakeMediaStreams, streamRequest } from './testing/fake-media-streams.ts';
import { Gate, makeHarness } from './testing/fake-ports.ts';

const REQUEST = streamRequest({ url: 'wss://bot.example.com/stream?key=k', custom_parameters: { lang: 'en' } });

/** The calls harness with a CallService that has (or lacks) the stream port. */
function harness(streams: MediaStreamPort | null) {
  const h = makeHarness();
  const { clock, store, signaling, media, flows, routing, directory, recorder } = h;
  const ports = { clock, store, signaling, media, flows, routing, directory, recorder };
  const service = new CallService(streams ? { ...ports, streams } : ports);
  useRoutes(h, 1);
  return { ...h, service };
}

async function answered(h: ReturnType<typeof harness>) {
  const call = await dialOne(h);
  await answerOutgoing(h, call.id);
  return { call, legId: h.signaling.last(call.id).leg_id };
}

describe('media stream controls', () => {
  it('starts a stream on the leg of an answered call, lists it, stops it', async () => {
    const streams = new FakeMediaStreams();
    const h = harness(streams);
    const { call, legId } = await answered(h);
    const { stream } = await h.service.startMediaStream(call.id, REQUEST);
    assert.deepEqual(streams.starts, [{ legId, owner: { call_id: call.id, customer_id: CUSTOMER }, request: REQUEST }]);
    assert.deepEqual(await h.service.listMediaStreams(call.id), [stream]);
    await assert.rejects(h.service.stopMediaStream(call.id, newId()), { code: 'MEDIA_STREAM_NOT_FOUND' });
    const stopped = await h.service.stopMediaStream(call.id, stream.id);
    assert.deepEqual(
      stopped.map((s) => [s.id, s.status]),
      [[stream.id, 'stopped']],
    );
    assert.deepEqual(await h.service.listMediaStreams(call.id), []);
  });

  it('answers a ringing incoming call first, like talk', async () => {
    const streams = new FakeMediaStreams();
    const h = harness(streams);
    const { call, leg } = await acceptOne(h);
    await h.service.startMediaStream(call.id, REQUEST);
    assert.deepEqual(leg.log, ['180', '200']);
    assert.equal((await current(h, call.id)).status, 'progressing');
    assert.equal(streams.starts[0]?.legId, leg.leg_id);
  });

  it('refuses an unanswered outgoing call (409 CALL_STATE_INVALID), a hung-up one (409 CALL_ALREADY_HANGUP), an unknown one (404)', async () => {
    const streams = new FakeMediaStreams();
    const h = harness(streams);
    const dialing = await dialOne(h);
    await assert.rejects(h.service.startMediaStream(dialing.id, REQUEST), {
      code: 'CALL_STATE_INVALID',
      message: /external_media_start needs an answered call/,
    });
    const { call } = await answered(h);
    await h.service.hangup(call.id);
    await assert.rejects(h.service.startMediaStream(call.id, REQUEST), { code: 'CALL_ALREADY_HANGUP' });
    await assert.rejects(h.service.stopMediaStream(call.id), { code: 'CALL_ALREADY_HANGUP' });
    assert.deepEqual(await h.service.listMediaStreams(call.id), []);
    await assert.rejects(h.service.startMediaStream(newId(), REQUEST), { code: 'CALL_NOT_FOUND' });
    await assert.rejects(h.service.stopMediaStream(newId()), { code: 'CALL_NOT_FOUND' });
    assert.deepEqual(streams.starts, []);
  });

  it('refuses a stream that neither listens nor speaks before touching the call', async () => {
    const streams = new FakeMediaStreams();
    const h = harness(streams);
    const { call, leg } = await acceptOne(h);
    await assert.rejects(h.service.startMediaStream(call.id, { ...REQUEST, listen: '', speak: '' }), {
      code: 'UNSUPPORTED_STREAM_OPTION',
      message: 'direction_listen: a stream with direction_listen "" and direction_speak "" would do nothing',
    });
    assert.deepEqual(leg.log, ['180']);
    assert.deepEqual(streams.starts, []);
  });

  it('without a stream port: 409 "not available" before a ringing call is answered; nothing listed or listened to', async () => {
    const h = harness(null);
    const { call, leg } = await acceptOne(h);
    const notAvailable = { code: 'CALL_STATE_INVALID', message: 'media streams are not available on this server' };
    await assert.rejects(h.service.startMediaStream(call.id, REQUEST), notAvailable);
    await assert.rejects(h.service.stopMediaStream(call.id), notAvailable);
    assert.deepEqual(leg.log, ['180']);
    assert.deepEqual(await h.service.listMediaStreams(call.id), []);
    assert.equal(h.service.mediaListener(call.id), undefined);
  });

  it("does not hold the call's queue while the bot connects: a hangup goes through meanwhile", async () => {
    const streams = new FakeMediaStreams();
    const gate = new Gate();
    streams.connecting = () => gate.promise;
    const h = harness(streams);
    const { call } = await answered(h);
    const starting = h.service.startMediaStream(call.id, REQUEST);
    while (streams.starts.length === 0) await new Promise((r) => setImmediate(r));
    let hungUp = false;
    const hangup = h.service.hangup(call.id).then((c) => (hungUp = c.status === 'hangup'));
    // Not a timing: a queue held by the connecting stream would never let the hangup run at all.
    for (let turn = 0; turn < 100 && !hungUp; turn++) await new Promise((r) => setImmediate(r));
    assert.ok(hungUp, 'the hangup waited for the stream to connect');
    gate.open();
    await hangup;
    assert.equal((await starting).stream.status, 'running');
  });

  it('a stream whose end rejects with nobody waiting on it leaves no unhandled rejection', async () => {
    const streams = new FakeMediaStreams();
    const h = harness(streams);
    const { call } = await answered(h);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      streams.ending = Promise.reject(new Error('socket exploded'));
      await h.service.startMediaStream(call.id, REQUEST);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });

  it('mediaListener: a listener of the live leg; none before the call has a leg, after hangup, or for an unknown call', async () => {
    const streams = new FakeMediaStreams();
    const h = harness(streams);
    const dialing = await dialOne(h);
    assert.equal(h.service.mediaListener(dialing.id), undefined);
    const { call, legId } = await answered(h);
    const listener = h.service.mediaListener(call.id);
    assert.ok(listener);
    const stop = listener(
      'both',
      () => undefined,
      () => undefined,
    );
    assert.equal(typeof stop, 'function');
    assert.deepEqual(streams.listens, [{ legId, track: 'both' }]);
    await h.service.hangup(call.id);
    assert.equal(h.service.mediaListener(call.id), undefined);
    assert.equal(h.service.mediaListener(newId()), undefined);
  });
});
