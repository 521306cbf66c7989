import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MediaClock, PcmSource, type PortAllocator, tone } from '../media/index.ts';
import { TestBrowserPeer } from '../media/webrtc/test-browser-peer.ts';
import { MediaEndpoint, type MediaDtmfEvent } from './media-endpoint.ts';
import { capture, randomAllocator, toneShare, until } from './testing/endpoint-kit.ts';

/** Sends `ms` of a 1 kHz PCMU tone from the peer, paced at 20 ms. */
async function sendTone(peer: TestBrowserPeer, ms: number): Promise<void> {
  const pcm = tone([1000], ms);
  for (let i = 0; i + 160 <= pcm.length; i += 160) {
    peer.sendPcmu(pcm.subarray(i, i + 160));
    await new Promise((r) => setTimeout(r, 20));
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('MediaEndpoint on a WebRTC leg (werift peer on loopback)', () => {
  let allocator: PortAllocator;
  let mediaClock: MediaClock;
  let peer: TestBrowserPeer;
  let endpoint: MediaEndpoint | undefined;

  beforeEach(() => {
    allocator = randomAllocator();
    mediaClock = new MediaClock();
    peer = new TestBrowserPeer();
  });

  afterEach(async () => {
    await endpoint?.close();
    endpoint = undefined;
    await peer.close();
    mediaClock.close();
    assert.equal(allocator.inUse, 0);
  });

  async function answered(): Promise<MediaEndpoint> {
    const offerSdp = await peer.offer();
    const result = await MediaEndpoint.answer({ allocator, address: '127.0.0.1', mediaClock, offerSdp });
    endpoint = result.endpoint;
    await peer.accept(result.answerSdp);
    await peer.connected();
    await until(() => result.endpoint.webrtcState === 'connected', 'endpoint connected');
    return result.endpoint;
  }

  it('answers a browser offer: ICE-lite host candidate on the address, rtcp-mux, fingerprint, PCMU', async () => {
    const offerSdp = await peer.offer();
    const { endpoint: e, answerSdp } = await MediaEndpoint.answer({
      allocator,
      address: '127.0.0.1',
      mediaClock,
      offerSdp,
    });
    endpoint = e;
    assert.match(answerSdp, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0 126\r?$/m);
    assert.match(answerSdp, new RegExp(`^a=candidate:\\S+ 1 udp \\d+ 127\\.0\\.0\\.1 ${e.localPort} typ host`, 'm'));
    assert.equal([...answerSdp.matchAll(/^a=candidate:/gm)].length, 1);
    assert.match(answerSdp, /^a=ice-lite\r?$/m);
    assert.match(answerSdp, /^a=rtcp-mux\r?$/m);
    assert.match(answerSdp, /^a=fingerprint:sha-256 [0-9A-F:]+\r?$/m);
    assert.match(answerSdp, /^a=setup:(active|passive)\r?$/m);
    assert.equal(e.codecName, 'PCMU');
    assert.ok(e.localPort >= 20000 && allocator.inUse === 1);
  });

  it('a tone the peer sends is heard by the endpoint, and a tone the endpoint plays reaches the peer', async () => {
    const e = await answered();
    const heard = capture(mediaClock, e.audio);
    const played = e.play(new PcmSource(tone([440], 600)));
    await sendTone(peer, 600);
    await played;
    await new Promise((r) => setTimeout(r, 100));
    heard.stop();
    const samples = heard.samples();
    assert.ok(toneShare(samples, 1000) > 0.5, `endpoint: 1 kHz share ${toneShare(samples, 1000)}`);
    const atPeer = peer.receivedPcmu();
    assert.ok(atPeer.length >= 160 * 20, `peer got ${atPeer.length} samples`);
    assert.ok(toneShare(atPeer, 440) > 0.5, `peer: 440 Hz share ${toneShare(atPeer, 440)}`);
  });

  it('RFC 4733 events from the peer become dtmf, and digits the endpoint sends keep their payload type', async () => {
    const e = await answered();
    const digits: MediaDtmfEvent[] = [];
    e.on('dtmf', (d) => digits.push(d));
    // Digit 5, 100 ms (800 units at 8 kHz), end bit on the last three packets (RFC 4733 §2.5).
    const ts = 90000;
    for (const [duration, end] of [
      [160, false],
      [320, false],
      [480, false],
      [800, true],
      [800, true],
      [800, true],
    ] as const) {
      const payload = new Uint8Array([5, end ? 0x80 | 10 : 10, duration >> 8, duration & 0xff]);
      peer.sendRtp(126, payload, { timestamp: ts, marker: duration === 160 });
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => digits.length === 1, 'a digit');
    assert.deepEqual([digits[0]?.digit, digits[0]?.via], ['5', 'rfc4733']);
    await e.sendDigits('7', { durationMs: 60 });
    await until(() => peer.received.some((p) => p.header.payloadType === 126), 'telephone-event at the peer');
    const event = peer.received.find((p) => p.header.payloadType === 126);
    assert.equal(event?.payload[0], 7);
  });

  it('offer({ webrtc: true }): the browser answers and media flows', async () => {
    const { endpoint: e, offerSdp } = await MediaEndpoint.offer({
      allocator,
      address: '127.0.0.1',
      mediaClock,
      webrtc: true,
    });
    endpoint = e;
    assert.match(offerSdp, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m);
    assert.match(offerSdp, /^a=setup:actpass\r?$/m);
    const answerSdp = await peer.answer(offerSdp);
    e.applyAnswer(answerSdp);
    await peer.connected();
    await until(() => e.webrtcState === 'connected', 'endpoint connected');
    const heard = capture(mediaClock, e.audio);
    await sendTone(peer, 400);
    await new Promise((r) => setTimeout(r, 100));
    heard.stop();
    assert.ok(toneShare(heard.samples(), 1000) > 0.5, `1 kHz share ${toneShare(heard.samples(), 1000)}`);
    const before = peer.received.length;
    await e.play(new PcmSource(tone([440], 300)));
    assert.ok(
      toneShare(peer.receivedPcmu(before), 440) > 0.5,
      `peer got ${peer.received.length} packets, PTs ${[...new Set(peer.received.map((p) => p.header.payloadType))]}`,
    );
  });

  it('close() closes the peer connection and frees the ICE port', async () => {
    const e = await answered();
    const port = e.localPort;
    assert.equal(await bindable(port), false);
    await e.close();
    endpoint = undefined;
    assert.equal(allocator.inUse, 0);
    assert.equal(await bindable(port), true);
  });
});
