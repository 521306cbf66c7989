import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { NIL_UUID, NotFoundError, newId } from '../shared/index.ts';
import { CallService } from './call-service.ts';
import type {
  ListenTrack,
  MediaStream,
  MediaStreamEnd,
  MediaStreamOwner,
  MediaStreamPort,
  MediaStreamRequest,
  StartedMediaStream,
} from './media-stream.ts';
import { CUSTOMER, acceptOne, answerOutgoing, current, dialOne, useRoutes } from './testing/call-fixtures.ts';
import { Gate, makeHarness } from './testing/fake-ports.ts';

/** A MediaStreamPort that records what it is asked and keeps its streams in memory. */
class RecordingStreams implements MediaStreamPort {
  readonly starts: { legId: string; owner: MediaStreamOwner; request: MediaStreamRequest }[] = [];
  readonly listens: { legId: string; track: ListenTrack }[] = [];
  readonly live = new Map<string, MediaStream>();
  /** When set, `start` waits for it (a bot that takes its time to accept). */
  connectGate: Gate | undefined;
  /** What the next stream's `ended` settles with. */
  ending: Promise<MediaStreamEnd> = new Promise(() => undefined);

  async start(legId: string, owner: MediaStreamOwner, request: MediaStreamRequest): Promise<StartedMediaStream> {
    this.starts.push({ legId, owner, request });
    if (this.connectGate) await this.connectGate.promise;
    const stream: MediaStream = {
      id: newId(),
      customer_id: owner.customer_id,
      reference_type: 'call',
      reference_id: owner.call_id,
      activeflow_id: request.activeflow_id,
      status: 'running',
      transport: 'websocket',
      encapsulation: 'none',
      external_host: request.url,
      format: request.format,
      direction_listen: request.listen,
      direction_speak: request.speak,
      stop_reason: '',
      tm_create: '2026-01-01T00:00:00.000Z',
      tm_start: '2026-01-01T00:00:00.000Z',
      tm_end: '',
    };
    this.live.set(stream.id, stream);
    return { stream, ended: this.ending };
  }
  async stop(callId: string, streamId?: string): Promise<MediaStream[]> {
    const mine = [...this.live.values()].filter((s) => s.reference_id === callId);
    const picked = streamId === undefined ? mine : mine.filter((s) => s.id === streamId);
    if (streamId !== undefined && picked.length === 0)
      throw new NotFoundError('MEDIA_STREAM_NOT_FOUND', `no stream ${streamId}`);
    for (const s of picked) this.live.delete(s.id);
    return picked.map((s) => ({ ...s, status: 'stopped', stop_reason: 'stopped' }));
  }
  list(callId: string): MediaStream[] {
    return [...this.live.values()].filter((s) => s.reference_id === callId);
  }
  listen(legId: string, track: ListenTrack): () => void {
    this.listens.push({ legId, track });
    return () => undefined;
  }
}

const REQUEST: MediaStreamRequest = {
  url: 'wss://bot.example.com/stream?key=k',
  format: 'ulaw',
  listen: 'in',
  speak: 'in',
  custom_parameters: { lang: 'en' },
  variables: {},
  activeflow_id: NIL_UUID,
};

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
    const streams = new RecordingStreams();
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
    const streams = new RecordingStreams();
    const h = harness(streams);
    const { call, leg } = await acceptOne(h);
    await h.service.startMediaStream(call.id, REQUEST);
    assert.deepEqual(leg.log, ['180', '200']);
    assert.equal((await current(h, call.id)).status, 'progressing');
    assert.equal(streams.starts[0]?.legId, leg.leg_id);
  });

  it('refuses an unanswered outgoing call (409 CALL_STATE_INVALID), a hung-up one (409 CALL_ALREADY_HANGUP), an unknown one (404)', async () => {
    const streams = new RecordingStreams();
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
    const streams = new RecordingStreams();
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
    const streams = new RecordingStreams();
    streams.connectGate = new Gate();
    const h = harness(streams);
    const { call } = await answered(h);
    const starting = h.service.startMediaStream(call.id, REQUEST);
    while (streams.starts.length === 0) await new Promise((r) => setImmediate(r));
    let hungUp = false;
    const hangup = h.service.hangup(call.id).then((c) => (hungUp = c.status === 'hangup'));
    // Not a timing: a queue held by the connecting stream would never let the hangup run at all.
    for (let turn = 0; turn < 100 && !hungUp; turn++) await new Promise((r) => setImmediate(r));
    assert.ok(hungUp, 'the hangup waited for the stream to connect');
    streams.connectGate.open();
    await hangup;
    assert.equal((await starting).stream.status, 'running');
  });

  it('a stream whose end rejects with nobody waiting on it leaves no unhandled rejection', async () => {
    const streams = new RecordingStreams();
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
    const streams = new RecordingStreams();
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
