import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import type { MediaStreamRequest } from '../../calls/index.ts';
import { MediaEndpoint } from '../../endpoint/media-endpoint.ts';
import { until } from '../../endpoint/testing/endpoint-kit.ts';
import { MediaClock, PortAllocator, serializeRtpPacket, type TtsEngine } from '../../media/index.ts';
import { openTestPeer, type TestPeer } from '../../media/testing/test-peer.ts';
import { createOffer, formatSdp, type CodecName } from '../../sdp/index.ts';
import { FakeClock, NIL_UUID, SsrfGuard, silentLogger, systemClock } from '../../shared/index.ts';
import { CallMedia } from './call-media.ts';
import { MediaStreams } from './media-streams.ts';

type Msg = Record<string, any>;

const tts: TtsEngine = { synthesize: async () => new Int16Array(160), voices: () => [] };
const owner = { call_id: 'call-1', customer_id: 'customer-1' };

/** µ-law bytes all `code` (any code but 0x7f survives decoding and encoding again unchanged). */
const bytes = (code: number, n: number): Uint8Array => new Uint8Array(n).fill(code);

/**
 * The inbound track of a stream comes from the leg's packets as they arrive, not from the media
 * clock's tick (docs/media-streams.md "Tracks"). The media clock runs on a FakeClock: it ticks only
 * when the test advances it, so a frame the bot gets without a tick cannot have come from one.
 */
describe('MediaStreams: the inbound track from packets as they arrive', () => {
  let clock: FakeClock;
  let mediaClock: MediaClock;
  let allocator: PortAllocator;
  let phone: TestPeer;
  let media: CallMedia;
  let leg: MediaEndpoint;
  let server: WebSocketServer;
  let url: string;
  let messages: Msg[];
  let bot: WebSocket | undefined;
  let streams: MediaStreams;
  let seq: number;
  const sessionId = '7171';

  const offer = (codecs: CodecName[], version = 0): string =>
    formatSdp(createOffer({ address: '127.0.0.1', port: phone.port, codecs, sessionId, sessionVersion: version }));
  const media_ = (track: string): Msg[] => messages.filter((m) => m.event === 'media' && m.media.track === track);
  const request = (over: Partial<MediaStreamRequest> = {}): MediaStreamRequest => ({
    url,
    format: 'ulaw',
    listen: 'both',
    speak: '',
    custom_parameters: {},
    variables: {},
    activeflow_id: NIL_UUID,
    ...over,
  });

  /** The phone sends one RTP packet of `payload` to the leg (PCMU unless `pt` says otherwise). */
  const say = (payload: Uint8Array, pt = 0): void => {
    const s = seq++;
    const packet = serializeRtpPacket({ payloadType: pt, sequenceNumber: s, timestamp: s * 160, ssrc: 9, payload });
    phone.socket.send(packet, leg.localPort, '127.0.0.1');
  };

  /** Runs one media clock tick. */
  const tick = (): void => clock.advance(20);

  beforeEach(async () => {
    clock = new FakeClock();
    mediaClock = new MediaClock({ clock });
    const base = 30000 + 2 * Math.floor(Math.random() * 4900);
    allocator = new PortAllocator({ minPort: base, maxPort: base + 15 });
    phone = await openTestPeer();
    seq = 1000;
    const options = { allocator, address: '127.0.0.1', mediaClock, offerSdp: offer(['PCMU']) };
    leg = (await MediaEndpoint.answer({ ...options, codecs: ['PCMU', 'opus'] })).endpoint;
    media = new CallMedia({ tts });
    media.register('leg-1', leg, owner.call_id);
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    messages = [];
    bot = undefined;
    server.on('connection', (ws) => {
      bot = ws;
      ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    });
    url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/bot`;
    streams = new MediaStreams({
      media,
      guard: new SsrfGuard({ mode: 'local' }),
      clock: systemClock,
      logger: silentLogger,
      secretOf: async () => '',
      publish: async () => undefined,
    });
  });

  afterEach(async () => {
    await streams.close();
    await media.close();
    bot?.terminate();
    await new Promise((resolve) => server.close(resolve));
    mediaClock.close();
    phone.close();
    assert.equal(allocator.inUse, 0);
  });

  it('inbound frames reach the bot with no media tick, re-chunked to 20 ms; outbound waits for a tick', async () => {
    const { stream } = await streams.start('leg-1', owner, request());
    assert.equal(stream.status, 'running');
    await until(() => messages.length >= 2, 'connected and start');
    say(bytes(0x35, 160));
    say(bytes(0x36, 80));
    say(bytes(0x37, 80));
    say(bytes(0x38, 240));
    say(bytes(0x39, 80));
    await until(() => media_('inbound').length === 4, 'four inbound frames');
    assert.equal(mediaClock.tickCount, 0, 'no media tick ran');
    assert.equal(media_('outbound').length, 0, 'the outbound track waits for the media clock');
    const inbound = media_('inbound').map((m) => m.media);
    assert.deepEqual(
      inbound.map((m) => [m.chunk, m.timestamp]),
      [
        ['1', '0'],
        ['2', '20'],
        ['3', '40'],
        ['4', '60'],
      ],
    );
    const payloads = inbound.map((m) => Buffer.from(m.payload, 'base64'));
    assert.ok(payloads.every((p) => p.length === 160));
    assert.deepEqual(payloads[0], Buffer.from(bytes(0x35, 160)));
    assert.deepEqual(payloads[1], Buffer.concat([bytes(0x36, 80), bytes(0x37, 80)]));
    assert.deepEqual(payloads[2], Buffer.from(bytes(0x38, 160)));
    assert.deepEqual(payloads[3], Buffer.concat([bytes(0x38, 80), bytes(0x39, 80)]));

    // A tick sends the outbound frame only: inbound is not taken from the tick as well.
    tick();
    say(bytes(0x3a, 160));
    await until(() => media_('inbound').length === 5, 'the next inbound frame');
    assert.equal(media_('outbound').length, 1, 'one tick, one outbound frame');
    assert.deepEqual(
      media_('outbound').map((m) => m.media.chunk),
      ['1'],
    );
    const sequence = messages.slice(1).map((m) => Number(m.sequenceNumber));
    assert.deepEqual(
      sequence,
      sequence.map((_, i) => i + 1),
      'sequenceNumber counts every message',
    );
  });

  it('muted out, the bot gets no inbound frame; a re-INVITE to Opus moves inbound to the tick, chunks going on', async () => {
    await streams.start('leg-1', owner, request({ listen: 'in' }));
    say(bytes(0x41, 160));
    await until(() => media_('inbound').length === 1, 'the first inbound frame');
    leg.setMuted('out');
    const received = leg.stats().packets_received;
    say(bytes(0x42, 160));
    await until(() => leg.stats().packets_received > received, 'the packet said while muted out');
    leg.setMuted('none');
    say(bytes(0x43, 160));
    await until(() => media_('inbound').length === 2, 'the frame after the mute');
    assert.deepEqual(
      Buffer.from(media_('inbound')[1]!.media.payload, 'base64'),
      Buffer.from(bytes(0x43, 160)),
      'the frame said while muted out was not sent',
    );
    tick();
    leg.answerReoffer(offer(['opus'], 1));
    assert.equal(leg.packetAudio, false);
    tick();
    await until(() => media_('inbound').length === 3, 'an inbound frame from the tick');
    assert.deepEqual(
      media_('inbound').map((m) => m.media.chunk),
      ['1', '2', '3'],
    );
    assert.equal(mediaClock.tickCount, 2);
  });
});
