import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import type { MediaStream, MediaStreamRequest } from '../../calls/index.ts';
import { MediaEndpoint } from '../../endpoint/media-endpoint.ts';
import { randomAllocator, sleep, until } from '../../endpoint/testing/endpoint-kit.ts';
import {
  MediaClock,
  PcmSource,
  decodeMulaw,
  encodeMulaw,
  type PortAllocator,
  type TtsEngine,
} from '../../media/index.ts';
import { goertzelPower, sineTone } from '../../media/testing/tones.ts';
import { NIL_UUID, SsrfGuard, silentLogger, systemClock } from '../../shared/index.ts';
import { CallMedia } from './call-media.ts';
import { MediaStreams } from './media-streams.ts';

/** A message the bot got (JSON, shapes of the protocol). */
type Msg = Record<string, any>;

/** One connection to the test bot. */
interface BotConn {
  ws: WebSocket;
  headers: IncomingHttpHeaders;
  messages: Msg[];
  closeCode: number | undefined;
  send(message: object): void;
  of(event: string): Msg[];
}

/** A bot: a real WebSocket server on loopback recording what it gets. */
async function startBot(): Promise<{ url: string; conns: BotConn[]; close(): Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const conns: BotConn[] = [];
  server.on('connection', (ws, req) => {
    const conn: BotConn = {
      ws,
      headers: req.headers,
      messages: [],
      closeCode: undefined,
      send: (message) => ws.send(JSON.stringify(message)),
      of: (event) => conn.messages.filter((m) => m.event === event),
    };
    ws.on('message', (data) => conn.messages.push(JSON.parse(String(data))));
    ws.on('close', (code) => (conn.closeCode = code));
    conns.push(conn);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/bot?token=secret-of-the-bot`,
    conns,
    close: async () => {
      for (const c of conns) c.ws.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** `ms` of a tone as `media` messages of 20 ms µ-law frames. */
function toneMessages(hz: number, ms: number): object[] {
  const pcm = sineTone(hz, ms);
  const out: object[] = [];
  for (let at = 0; at + 160 <= pcm.length; at += 160) {
    const bytes = new Uint8Array(160);
    encodeMulaw(pcm.subarray(at, at + 160), bytes);
    out.push({ event: 'media', media: { payload: Buffer.from(bytes).toString('base64') } });
  }
  return out;
}

/** About the amplitude of the `hz` component of `samples` (Goertzel). */
const level = (samples: Int16Array, hz: number): number => 2 * Math.sqrt(goertzelPower(samples, hz));

/** Decodes the inbound/outbound µ-law payloads of the bot's `media` messages of `track`. */
function trackAudio(conn: BotConn, track: string): Int16Array {
  const frames = conn.of('media').filter((m) => m.media.track === track);
  const out = new Int16Array(frames.length * 160);
  frames.forEach((m, i) => decodeMulaw(Buffer.from(m.media.payload, 'base64'), out.subarray(i * 160, i * 160 + 160)));
  return out;
}

const tts: TtsEngine = { synthesize: async () => new Int16Array(160), voices: () => [] };

describe('MediaStreams on a live leg', () => {
  let allocator: PortAllocator;
  let mediaClock: MediaClock;
  let media: CallMedia;
  let far: MediaEndpoint;
  let bot: Awaited<ReturnType<typeof startBot>>;
  let streams: MediaStreams;
  let events: [string, MediaStream][];
  /** What the far end heard, one frame per tick. */
  let heard: Int16Array[];
  let stopHearing: () => void;
  const owner = { call_id: 'call-1', customer_id: 'customer-1' };
  const secret = 'whsec-of-customer-1';

  const request = (over: Partial<MediaStreamRequest> = {}): MediaStreamRequest => ({
    url: bot.url,
    format: 'ulaw',
    listen: 'in',
    speak: 'in',
    custom_parameters: { agent: 'a1' },
    variables: { 'customer.name': 'Ada' },
    activeflow_id: NIL_UUID,
    ...over,
  });
  const heardSince = (from: number): Int16Array => {
    const frames = heard.slice(from);
    const out = new Int16Array(frames.length * 160);
    frames.forEach((f, i) => out.set(f, i * 160));
    return out;
  };

  beforeEach(async () => {
    allocator = randomAllocator(4);
    mediaClock = new MediaClock();
    media = new CallMedia({ tts });
    const base = { allocator, address: '127.0.0.1', mediaClock };
    const offered = await MediaEndpoint.offer(base);
    const answered = await MediaEndpoint.answer({ ...base, offerSdp: offered.offerSdp });
    offered.endpoint.applyAnswer(answered.answerSdp);
    media.register('leg-1', offered.endpoint, owner.call_id);
    far = answered.endpoint;
    heard = [];
    const frame = new Int16Array(160);
    stopHearing = mediaClock.addListener(() => far.audio.read(frame) && heard.push(frame.slice()));
    bot = await startBot();
    events = [];
    streams = new MediaStreams({
      media,
      guard: new SsrfGuard({ mode: 'local' }),
      clock: systemClock,
      logger: silentLogger,
      secretOf: async () => secret,
      publish: async (type, stream) => void events.push([type, stream]),
    });
  });

  afterEach(async () => {
    stopHearing();
    await streams.close();
    await media.close();
    await far.close();
    await bot.close();
    mediaClock.close();
    assert.equal(allocator.inUse, 0);
  });

  it('the bot gets connected, start and the far end’s 1 kHz tone as inbound media, on a signed handshake', async () => {
    void far.play(new PcmSource(sineTone(1000, 10_000)));
    const { stream } = await streams.start('leg-1', owner, request());
    assert.equal(stream.status, 'running');
    assert.equal(stream.external_host, bot.url.replace(/\?.*$/, ''), 'no query in external_host');
    assert.notEqual(stream.tm_start, '');
    const conn = bot.conns[0]!;
    await until(() => conn.of('media').length >= 40, '40 media messages');
    assert.deepEqual(conn.messages[0], { event: 'connected', protocol: 'Call', version: '1.0.0' });
    const start = conn.messages[1]!;
    assert.equal(start.event, 'start');
    assert.equal(start.sequenceNumber, '1');
    assert.equal(start.streamSid, stream.id);
    assert.deepEqual(start.start.tracks, ['inbound']);
    assert.deepEqual(start.start.customParameters, { agent: 'a1' });
    assert.equal(start.start.callSid, 'call-1');
    assert.equal(start.start.accountSid, 'customer-1');
    assert.deepEqual(start.start.callbin, {
      call_id: 'call-1',
      activeflow_id: NIL_UUID,
      stream_id: stream.id,
      variables: { 'customer.name': 'Ada' },
    });
    const media_ = conn.of('media');
    assert.ok(media_.every((m) => m.media.track === 'inbound'));
    assert.deepEqual(
      media_.map((m) => m.media.chunk),
      media_.map((_, i) => String(i + 1)),
      'chunks in order from 1',
    );
    assert.deepEqual(
      media_.slice(0, 3).map((m) => m.media.timestamp),
      ['0', '20', '40'],
    );
    const audio = trackAudio(conn, 'inbound').subarray(160 * 10);
    assert.ok(level(audio, 1000) > 3000, `1 kHz level ${level(audio, 1000)}`);
    assert.ok(level(audio, 440) < 500);
    // The signature: HMAC-SHA256(secret, timestamp + "." + url), as webhooks are signed.
    const ts = String(conn.headers['x-callbin-timestamp']);
    assert.match(ts, /^\d+$/);
    const expected = createHmac('sha256', secret).update(`${ts}.${bot.url}`).digest('hex');
    assert.equal(conn.headers['x-callbin-signature'], `v1=${expected}`);
    assert.equal(conn.headers['user-agent'], 'callbin');
    assert.deepEqual(
      events.map(([type, s]) => [type, s.status]),
      [['external_media_started', 'running']],
    );
  });

  it('the bot’s audio is heard by the far end; a mark comes back once it played; clear stops it', async () => {
    await streams.start('leg-1', owner, request({ listen: '' }));
    const conn = bot.conns[0]!;
    const from = heard.length;
    for (const m of toneMessages(440, 1000)) conn.send(m);
    conn.send({ event: 'mark', mark: { name: 'first' } });
    await until(() => conn.of('mark').length === 1, 'the mark back', 5000);
    const before = heardSince(from);
    const toneFrames = heard.slice(from).filter((f) => level(f, 440) > 2000).length;
    assert.ok(toneFrames >= 40, `the far end heard ${toneFrames} frames of the tone before the mark came back`);
    assert.ok(level(before, 440) > 1000);
    assert.deepEqual(conn.of('mark')[0]!.mark, { name: 'first' });
    for (const m of toneMessages(440, 20_000)) conn.send(m);
    conn.send({ event: 'mark', mark: { name: 'after-long' } });
    const playing = heard.length;
    await until(() => heard.slice(playing).filter((f) => level(f, 440) > 2000).length >= 10, 'the long tone');
    assert.equal(conn.of('mark').length, 1, 'the long tone is still playing');
    conn.send({ event: 'clear' });
    await until(() => conn.of('mark').length === 2, 'the pending mark, sent back at the clear');
    assert.deepEqual(conn.of('mark')[1]!.mark, { name: 'after-long' });
    await sleep(200);
    const after = heard.length;
    await sleep(300);
    assert.ok(level(heardSince(after), 440) < 300, `after clear: 440 Hz level ${level(heardSince(after), 440)}`);
  });

  it('DTMF of the far end reaches the bot; listen both sends both tracks', async () => {
    await streams.start('leg-1', owner, request({ listen: 'both', speak: '' }));
    const conn = bot.conns[0]!;
    await until(() => conn.messages.length >= 2, 'connected and start');
    assert.deepEqual(conn.messages[1]!.start.tracks, ['inbound', 'outbound']);
    void far.play(new PcmSource(sineTone(1000, 10_000)));
    void media.playAndWait('leg-1', sineTone(440, 10_000));
    await far.sendDigits('5');
    await until(() => conn.of('dtmf').length === 1, 'the digit at the bot');
    assert.deepEqual(conn.of('dtmf')[0]!.dtmf, { track: 'inbound_track', digit: '5' });
    await until(() => conn.of('media').filter((m) => m.media.track === 'outbound').length > 30, 'outbound frames');
    const inbound = trackAudio(conn, 'inbound').subarray(-160 * 20);
    const outbound = trackAudio(conn, 'outbound').subarray(-160 * 20);
    assert.ok(level(inbound, 1000) > 2000 && level(inbound, 440) < 500, 'inbound: what the far end says');
    assert.ok(level(outbound, 440) > 2000 && level(outbound, 1000) < 500, 'outbound: what the far end hears');
    const sequence = conn.messages.slice(1).map((m) => Number(m.sequenceNumber));
    assert.deepEqual(
      sequence,
      sequence.map((_, i) => i + 1),
      'sequenceNumber counts every message',
    );
  });

  it('speak "" plays nothing of the bot', async () => {
    await streams.start('leg-1', owner, request({ speak: '' }));
    const conn = bot.conns[0]!;
    const from = heard.length;
    for (const m of toneMessages(440, 2000)) conn.send(m);
    await sleep(600);
    assert.ok(heard.length - from > 20);
    assert.ok(level(heardSince(from), 440) < 300, 'the far end hears silence');
  });

  it('releasing the leg stops the stream with hangup: stop to the bot, a normal close, started then stopped', async () => {
    const started = await streams.start('leg-1', owner, request());
    const conn = bot.conns[0]!;
    await media.release('leg-1');
    assert.deepEqual(await started.ended, { reason: 'hangup', variables: {} });
    await until(() => conn.closeCode !== undefined, 'the close');
    const stop = conn.of('stop')[0]!;
    assert.deepEqual(stop.stop, { accountSid: 'customer-1', callSid: 'call-1', reason: 'hangup' });
    assert.equal(conn.closeCode, 1000);
    assert.deepEqual(
      events.map(([type, s]) => [type, s.status, s.stop_reason]),
      [
        ['external_media_started', 'running', ''],
        ['external_media_stopped', 'stopped', 'hangup'],
      ],
    );
    assert.notEqual(events[1]![1].tm_end, '');
    assert.deepEqual(streams.list('call-1'), []);
  });

  it('a bot that closes ends the stream as bot_closed and the leg goes on', async () => {
    const started = await streams.start('leg-1', owner, request());
    bot.conns[0]!.ws.close(1000);
    assert.equal((await started.ended).reason, 'bot_closed');
    assert.deepEqual(streams.list('call-1'), []);
    const from = heard.length;
    assert.equal(await media.playAndWait('leg-1', sineTone(1000, 400)), 'ended');
    assert.ok(level(heardSince(from), 1000) > 2000, 'the far end hears the prompt after the stream');
    assert.equal(events.at(-1)![1].stop_reason, 'bot_closed');
  });
});
