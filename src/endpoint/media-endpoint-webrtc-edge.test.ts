import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MediaClock, type PortAllocator, serializeRtpPacket, tone } from '../media/index.ts';
import { TestBrowserPeer } from '../media/webrtc/test-browser-peer.ts';
import { AppError } from '../shared/index.ts';
import { MediaEndpoint } from './media-endpoint.ts';
import { randomAllocator, sleep, until } from './testing/endpoint-kit.ts';

function hasCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof AppError && err.code === code;
}

describe('MediaEndpoint on a WebRTC leg: bad input, ICE, relay, hold', () => {
  let allocator: PortAllocator;
  let mediaClock: MediaClock;
  let peer: TestBrowserPeer;
  const endpoints: MediaEndpoint[] = [];

  beforeEach(() => {
    allocator = randomAllocator();
    mediaClock = new MediaClock();
    peer = new TestBrowserPeer();
  });

  afterEach(async () => {
    await Promise.all(endpoints.splice(0).map((e) => e.close()));
    await peer.close();
    mediaClock.close();
    assert.equal(allocator.inUse, 0);
  });

  async function answer(offerSdp: string): Promise<{ endpoint: MediaEndpoint; answerSdp: string }> {
    const result = await MediaEndpoint.answer({ allocator, address: '127.0.0.1', mediaClock, offerSdp });
    endpoints.push(result.endpoint);
    return result;
  }

  async function connected(): Promise<MediaEndpoint> {
    const { endpoint, answerSdp } = await answer(await peer.offer());
    await peer.accept(answerSdp);
    await peer.connected();
    await until(() => endpoint.webrtcState === 'connected', 'endpoint connected');
    return endpoint;
  }

  it('an offer without a=ice-ufrag, or without a=fingerprint, is refused SDP_WEBRTC_INVALID before a port is taken', async () => {
    const offer = await peer.offer();
    await assert.rejects(answer(offer.replace(/^a=ice-ufrag:.*\r?\n/m, '')), hasCode('SDP_WEBRTC_INVALID'));
    await assert.rejects(answer(offer.replace(/^a=fingerprint:.*\r?\n/m, '')), hasCode('SDP_WEBRTC_INVALID'));
    assert.equal(allocator.inUse, 0);
  });

  it('an offer with no codec in common is refused SDP_NO_COMMON_CODEC', async () => {
    const g722 = new TestBrowserPeer([{ name: 'G722', payloadType: 9, clockRate: 8000 }]);
    try {
      await assert.rejects(answer(await g722.offer()), hasCode('SDP_NO_COMMON_CODEC'));
      assert.equal(allocator.inUse, 0);
    } finally {
      await g722.close();
    }
  });

  it('a peer whose DTLS certificate does not match its a=fingerprint: the transport fails, close() frees the port', async () => {
    const offer = await peer.offer();
    const forged = offer.replace(
      /^(a=fingerprint:sha-256 )([0-9A-F]{2})/m,
      (_m, head: string, byte: string) => `${head}${byte === '00' ? '01' : '00'}`,
    );
    assert.notEqual(forged, offer);
    const { endpoint, answerSdp } = await answer(forged);
    const states: string[] = [];
    endpoint.on('webrtc', (s) => states.push(s));
    await peer.accept(answerSdp);
    await until(() => endpoint.webrtcState === 'failed', 'the transport to fail', 15000);
    assert.ok(states.includes('failed'));
    await endpoint.close();
    assert.equal(allocator.inUse, 0);
  });

  it('plain RTP sent to the ICE port from an address that did not pass ICE is not delivered', async () => {
    const endpoint = await connected();
    const before = endpoint.stats().packets_received;
    const intruder = dgram.createSocket('udp4');
    await new Promise<void>((r) => intruder.bind(0, '127.0.0.1', () => r()));
    try {
      for (let i = 0; i < 10; i++) {
        const packet = serializeRtpPacket({
          payloadType: 0,
          sequenceNumber: i,
          timestamp: i * 160,
          ssrc: 42,
          marker: false,
          payload: new Uint8Array(160).fill(0x55),
        });
        intruder.send(packet, endpoint.localPort, '127.0.0.1');
      }
      await sleep(200);
      assert.equal(endpoint.stats().packets_received, before);
    } finally {
      intruder.close();
    }
  });

  it('a relay bridge between a WebRTC leg and a plain RTP leg carries packets both ways', async () => {
    const web = await connected();
    const rtpOffer = await MediaEndpoint.offer({ allocator, address: '127.0.0.1', mediaClock });
    endpoints.push(rtpOffer.endpoint);
    const phoneSide = await answer(rtpOffer.offerSdp);
    rtpOffer.endpoint.applyAnswer(phoneSide.answerSdp);
    const bridge = MediaEndpoint.relayBridge(web, phoneSide.endpoint);
    try {
      const pcm = tone([1000], 200);
      for (let i = 0; i + 160 <= pcm.length; i += 160) {
        peer.sendPcmu(pcm.subarray(i, i + 160));
        await sleep(20);
      }
      await until(() => bridge.aToB.forwarded >= 5, 'browser packets relayed to the phone leg');
      await until(() => bridge.bToA.forwarded >= 5, 'phone packets relayed to the browser');
      const relayedToPeer = peer.received.filter((p) => p.header.payloadType === 0).length;
      assert.ok(relayedToPeer > 0);
      assert.ok(rtpOffer.endpoint.stats().packets_received >= bridge.aToB.forwarded - 1);
    } finally {
      bridge.close();
    }
  });

  it('hold by re-INVITE: the browser sends sendonly, we answer recvonly and stop sending; reoffer({ hold }) writes sendonly', async () => {
    const endpoint = await connected();
    const current = peer.pc.localDescription?.sdp ?? '';
    const holdOffer = current.replace(/^a=sendrecv\r?$/m, 'a=sendonly').replace(/^(o=\S+ \S+ )(\d+)/m, '$12');
    const answerSdp = endpoint.answerReoffer(holdOffer);
    assert.match(answerSdp, /^a=recvonly\r?$/m);
    assert.equal(endpoint.sending, false);
    assert.equal(endpoint.receiving, true);
    const unhold = endpoint.answerReoffer(current.replace(/^(o=\S+ \S+ )(\d+)/m, '$13'));
    assert.match(unhold, /^a=sendrecv\r?$/m);
    assert.equal(endpoint.sending, true);
    const ours = endpoint.reoffer({ hold: true });
    assert.match(ours, /^a=sendonly\r?$/m);
    endpoint.applyAnswer(current.replace(/^a=sendrecv\r?$/m, 'a=recvonly'));
    assert.equal(endpoint.sending, true);
    assert.equal(endpoint.receiving, false);
    const restart = current.replace(/^a=ice-ufrag:.*$/m, 'a=ice-ufrag:zzzz');
    assert.throws(() => endpoint.answerReoffer(restart), hasCode('SDP_WEBRTC_INVALID'));
  });
});
