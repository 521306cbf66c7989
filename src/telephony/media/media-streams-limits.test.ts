import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import type { MediaStream, MediaStreamRequest } from '../../calls/index.ts';
import { MediaEndpoint } from '../../endpoint/media-endpoint.ts';
import { randomAllocator, sleep, until } from '../../endpoint/testing/endpoint-kit.ts';
import { MediaClock, PcmSource, encodeMulaw, type PortAllocator, type TtsEngine } from '../../media/index.ts';
import { goertzelPower, sineTone } from '../../media/testing/tones.ts';
import { NIL_UUID, SsrfGuard, ValidationError, silentLogger, systemClock } from '../../shared/index.ts';
import { CallMedia } from './call-media.ts';
import { MediaStreams, type MediaStreamsOptions } from './media-streams.ts';

type Msg = Record<string, any>;
interface Conn {
  ws: WebSocket;
  messages: Msg[];
  of(event: string): Msg[];
}

const tts: TtsEngine = { synthesize: async () => new Int16Array(160), voices: () => [] };
const level = (samples: Int16Array, hz: number, rate = 8000): number => 2 * Math.sqrt(goertzelPower(samples, hz, rate));
const owner = { call_id: 'call-1', customer_id: 'customer-1' };

describe('MediaStreams: limits, guards, listeners, formats', () => {
  let allocator: PortAllocator;
  let mediaClock: MediaClock;
  let media: CallMedia;
  /** The far end of each leg, by leg id. */
  let phones: Map<string, MediaEndpoint>;
  let server: WebSocketServer;
  let url: string;
  let conns: Conn[];
  let events: [string, MediaStream][];
  let streams: MediaStreams;

  const request = (over: Partial<MediaStreamRequest> = {}): MediaStreamRequest => ({
    url,
    format: 'ulaw',
    listen: 'in',
    speak: '',
    custom_parameters: {},
    variables: {},
    activeflow_id: NIL_UUID,
    ...over,
  });
  const service = (over: Partial<MediaStreamsOptions> = {}): MediaStreams =>
    new MediaStreams({
      media,
      guard: new SsrfGuard({ mode: 'local' }),
      clock: systemClock,
      logger: silentLogger,
      secretOf: async () => '',
      publish: async (type, stream) => void events.push([type, stream]),
      ...over,
    });

  /** Registers leg `legId` of `callId` with a phone at its far end. */
  async function leg(legId: string, callId = owner.call_id): Promise<MediaEndpoint> {
    const base = { allocator, address: '127.0.0.1', mediaClock };
    const offered = await MediaEndpoint.offer(base);
    const answered = await MediaEndpoint.answer({ ...base, offerSdp: offered.offerSdp });
    offered.endpoint.applyAnswer(answered.answerSdp);
    media.register(legId, offered.endpoint, callId);
    phones.set(legId, answered.endpoint);
    return answered.endpoint;
  }

  /** What `source` yields per tick from now, until the returned function is called. */
  function record(read: (frame: Int16Array) => boolean): { samples(): Int16Array; stop(): void } {
    const frames: Int16Array[] = [];
    const frame = new Int16Array(160);
    const stop = mediaClock.addListener(() => read(frame) && frames.push(frame.slice()));
    return { samples: () => Int16Array.from(frames.flatMap((f) => [...f])), stop };
  }

  beforeEach(async () => {
    allocator = randomAllocator(6);
    mediaClock = new MediaClock();
    media = new CallMedia({ tts });
    phones = new Map();
    conns = [];
    events = [];
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/bot`;
    server.on('connection', (ws) => {
      const conn: Conn = { ws, messages: [], of: (e) => conn.messages.filter((m) => m.event === e) };
      ws.on('message', (data) => conn.messages.push(JSON.parse(String(data))));
      conns.push(conn);
    });
    streams = service();
    await leg('leg-1');
  });

  afterEach(async () => {
    await streams.close();
    await media.close();
    await Promise.all([...phones.values()].map((p) => p.close()));
    for (const c of conns) c.ws.terminate();
    await new Promise((resolve) => server.close(resolve));
    mediaClock.close();
    assert.equal(allocator.inUse, 0);
  });

  it('at most 4 live streams per call and one speaking: MEDIA_STREAM_LIMIT; an ended one frees its place', async () => {
    const first = await streams.start('leg-1', owner, request({ speak: 'in' }));
    await assert.rejects(streams.start('leg-1', owner, request({ speak: 'in' })), {
      code: 'MEDIA_STREAM_LIMIT',
    });
    for (let i = 0; i < 3; i++) assert.equal((await streams.start('leg-1', owner, request())).stream.status, 'running');
    await assert.rejects(streams.start('leg-1', owner, request()), { code: 'MEDIA_STREAM_LIMIT' });
    assert.equal(streams.list('call-1').length, 4);
    assert.equal(conns.length, 4, 'a refused stream never connects');
    await streams.stop('call-1', first.stream.id);
    assert.equal((await streams.start('leg-1', owner, request({ speak: 'in' }))).stream.status, 'running');
    const stopped = await streams.stop('call-1');
    assert.equal(stopped.length, 4);
    assert.ok(stopped.every((s) => s.status === 'stopped' && s.stop_reason === 'stopped'));
  });

  it('the production guard refuses a loopback bot with ValidationError on external_host, before connecting', async () => {
    const guarded = service({ guard: new SsrfGuard({ mode: 'production' }) });
    for (const target of [url, url.replace('127.0.0.1', '[::1]'), url.replace('ws:', 'wss:')]) {
      await assert.rejects(
        guarded.start('leg-1', owner, request({ url: target })),
        (err: unknown) =>
          err instanceof ValidationError &&
          err.details[0]?.field === 'external_host' &&
          err.details[0]?.reason === 'INVALID_STREAM_URL',
      );
    }
    for (const bad of ['http://bot.example/', 'not a url', `ws://bot.example/${'a'.repeat(2100)}`]) {
      await assert.rejects(guarded.start('leg-1', owner, request({ url: bad })), { code: 'INVALID_STREAM_URL' });
    }
    await assert.rejects(streams.start('leg-1', owner, request({ format: 'opus' as 'ulaw' })), {
      code: 'UNSUPPORTED_STREAM_OPTION',
    });
    await guarded.close();
    assert.equal(conns.length, 0);
    assert.deepEqual(events, []);
  });

  it('a bot that cannot be reached: start resolves stopped (connect_failed, handshake_timeout), never rejects', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await streams.start('leg-1', owner, request({ url: `ws://127.0.0.1:${port}/` }));
    assert.equal(refused.stream.status, 'stopped');
    assert.equal(refused.stream.stop_reason, 'connect_failed');
    assert.equal(refused.stream.tm_start, '');
    assert.deepEqual(await refused.ended, { reason: 'connect_failed', variables: {} });
    assert.deepEqual(
      events.map(([type]) => type),
      ['external_media_stopped'],
    );
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket.resume()));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const slow = service({ limits: { handshakeMs: 200 } });
    const silentUrl = `ws://127.0.0.1:${(silent.address() as { port: number }).port}/`;
    const timedOut = await slow.start('leg-1', owner, request({ url: silentUrl }));
    assert.equal(timedOut.stream.stop_reason, 'handshake_timeout');
    await slow.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('continue hands the variables back; stop, list and an unknown id', async () => {
    const withSecrets = url.replace('ws://', 'ws://user:pw@') + '?token=t#part';
    const a = await streams.start('leg-1', owner, request({ url: withSecrets }));
    assert.equal(a.stream.external_host, url, 'no user info, query or fragment');
    const b = await streams.start('leg-1', owner, request());
    assert.deepEqual(
      streams.list('call-1').map((s) => s.id),
      [a.stream.id, b.stream.id],
    );
    conns[0]!.ws.send(JSON.stringify({ event: 'continue', variables: { intent: 'billing' } }));
    assert.deepEqual(await a.ended, { reason: 'bot_continue', variables: { intent: 'billing' } });
    await until(() => conns[0]!.of('stop').length === 1, 'stop to the first bot');
    assert.equal(conns[0]!.of('stop')[0]!.stop.reason, 'bot_continue');
    await assert.rejects(streams.stop('call-1', a.stream.id), { code: 'MEDIA_STREAM_NOT_FOUND' });
    const [stopped] = await streams.stop('call-1', b.stream.id);
    assert.equal(stopped?.status, 'stopped');
    assert.equal(stopped?.stop_reason, 'stopped');
    assert.equal((await b.ended).reason, 'stopped');
    await until(() => conns[1]!.of('stop').length === 1, 'stop to the second bot');
    assert.equal(conns[1]!.of('stop')[0]!.stop.reason, 'stopped');
  });

  it('close stops every stream with shutdown and refuses new ones', async () => {
    const a = await streams.start('leg-1', owner, request());
    await streams.close();
    assert.equal((await a.ended).reason, 'shutdown');
    await until(() => conns[0]!.of('stop').length === 1, 'stop at the bot');
    assert.equal(conns[0]!.of('stop')[0]!.stop.reason, 'shutdown');
    await assert.rejects(streams.start('leg-1', owner, request()), { code: 'STREAM_CLOSED' });
  });

  it('slin16: start says audio/l16 at 16 kHz and media carries 640 bytes per 20 ms', async () => {
    void phones.get('leg-1')!.play(new PcmSource(sineTone(1000, 10_000)));
    await streams.start('leg-1', owner, request({ format: 'slin16' }));
    const conn = conns[0]!;
    await until(() => conn.of('media').length >= 30, 'media');
    assert.deepEqual(conn.of('start')[0]!.start.mediaFormat, { encoding: 'audio/l16', sampleRate: 16000, channels: 1 });
    const payloads = conn.of('media').map((m) => Buffer.from(m.media.payload, 'base64'));
    assert.ok(payloads.every((p) => p.length === 640));
    const pcm16k = new Int16Array(Buffer.concat(payloads.slice(-20)).buffer.slice(0));
    assert.ok(level(pcm16k, 1000, 16000) > 2000, `1 kHz at 16 kHz: ${level(pcm16k, 1000, 16000)}`);
  });

  it('listen: frames of the chosen track (both mixed) until the leg ends', async () => {
    void phones.get('leg-1')!.play(new PcmSource(sineTone(1000, 10_000)));
    void media.playAndWait('leg-1', sineTone(440, 10_000));
    const got: Record<string, Int16Array[]> = { in: [], out: [], both: [] };
    let ended = 0;
    const offs = (['in', 'out', 'both'] as const).map((track) =>
      streams.listen(
        'leg-1',
        track,
        (pcm) => void got[track]!.push(pcm.slice()),
        () => ended++,
      ),
    );
    await until(() => got.both!.length >= 40, 'frames');
    const last = (track: string): Int16Array => Int16Array.from(got[track]!.slice(-20).flatMap((f) => [...f]));
    assert.ok(level(last('in'), 1000) > 2000 && level(last('in'), 440) < 500, 'in: the far end');
    assert.ok(level(last('out'), 440) > 2000 && level(last('out'), 1000) < 500, 'out: what it hears');
    assert.ok(level(last('both'), 440) > 2000 && level(last('both'), 1000) > 2000, 'both: the two');
    offs[1]!();
    const outCount = got.out!.length;
    await media.release('leg-1');
    assert.equal(ended, 2, 'onEnd for the listeners still attached');
    await sleep(100);
    assert.equal(got.out!.length, outCount);
  });

  it('a speaking stream on a relayed bridge: the leg hears its peer and the bot mixed', async () => {
    const phoneB = await leg('leg-2', 'call-2');
    const phoneA = phones.get('leg-1')!;
    await media.bridge('leg-1', 'leg-2');
    void phoneB.play(new PcmSource(sineTone(1000, 10_000)));
    const relay = media.relayOf('leg-1')!;
    await until(() => relay.carries(media.endpoint('leg-2')), 'the relay into leg 1');
    await streams.start('leg-1', owner, request({ listen: '', speak: 'in' }));
    assert.equal(relay.carries(media.endpoint('leg-2')), false, 'decoded while the bot speaks');
    const frame = new Uint8Array(160);
    const pcm = sineTone(440, 3000);
    for (let at = 0; at + 160 <= pcm.length; at += 160) {
      encodeMulaw(pcm.subarray(at, at + 160), frame);
      conns[0]!.ws.send(JSON.stringify({ event: 'media', media: { payload: Buffer.from(frame).toString('base64') } }));
    }
    await sleep(300);
    const heard = record((f) => phoneA.audio.read(f));
    await sleep(600);
    heard.stop();
    const samples = heard.samples();
    assert.ok(level(samples, 1000) > 2000, `the peer: ${level(samples, 1000)}`);
    assert.ok(level(samples, 440) > 2000, `the bot: ${level(samples, 440)}`);
    await streams.stop('call-1');
    await until(() => relay.carries(media.endpoint('leg-2')), 'the relay again once the bot is gone');
  });
});
