import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MediaEndpoint } from '../../endpoint/index.ts';
import { MediaClock, PortAllocator } from '../../media/index.ts';
import { TestBrowserPeer, alterFingerprint } from '../../media/webrtc/test-browser-peer.ts';
import { FakeClock } from '../../shared/index.ts';
import { WEBRTC_CONNECT_TIMEOUT_MS, watchWebRtcMedia, type WebRtcMediaFailure } from './webrtc-media-watch.ts';

function randomAllocator(): PortAllocator {
  const base = 20000 + 2 * Math.floor(Math.random() * 10000);
  return new PortAllocator({ minPort: base, maxPort: base + 19 });
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const PLAIN_OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

describe('watchWebRtcMedia: an answered WebRTC leg that fails or never connects is reported', () => {
  let allocator: PortAllocator;
  let mediaClock: MediaClock;
  let clock: FakeClock;
  let peer: TestBrowserPeer;
  const endpoints: MediaEndpoint[] = [];
  const stops: (() => void)[] = [];

  beforeEach(() => {
    allocator = randomAllocator();
    mediaClock = new MediaClock();
    clock = new FakeClock();
    peer = new TestBrowserPeer();
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
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

  function watch(endpoint: MediaEndpoint): WebRtcMediaFailure[] {
    const seen: WebRtcMediaFailure[] = [];
    stops.push(watchWebRtcMedia(endpoint, clock, (why) => seen.push(why)));
    return seen;
  }

  it('reports `timeout` once when ICE never completes within WEBRTC_CONNECT_TIMEOUT_MS', async () => {
    const { endpoint } = await answer(await peer.offer());
    const seen = watch(endpoint);
    clock.advance(WEBRTC_CONNECT_TIMEOUT_MS - 1);
    assert.deepEqual(seen, []);
    clock.advance(1);
    assert.deepEqual(seen, ['timeout']);
    clock.advance(WEBRTC_CONNECT_TIMEOUT_MS);
    assert.deepEqual(seen, ['timeout'], 'reported once');
    assert.equal(clock.pending, 0);
  });

  it('reports nothing for a leg that connects, even after the timeout', async () => {
    const { endpoint, answerSdp } = await answer(await peer.offer());
    const seen = watch(endpoint);
    await peer.accept(answerSdp);
    await peer.connected();
    await until(() => endpoint.webrtcState === 'connected', 'endpoint connected');
    assert.equal(clock.pending, 0, 'the connect timer is cleared');
    clock.advance(2 * WEBRTC_CONNECT_TIMEOUT_MS);
    assert.deepEqual(seen, []);
  });

  it('reports `failed` when the DTLS certificate does not match the offered fingerprint', async () => {
    const { endpoint, answerSdp } = await answer(alterFingerprint(await peer.offer()));
    const seen = watch(endpoint);
    await peer.accept(answerSdp);
    await until(() => seen.length > 0, 'a failure report');
    assert.deepEqual(seen, ['failed']);
    assert.equal(endpoint.webrtcState, 'failed');
    assert.equal(clock.pending, 0);
  });

  it('does not watch a plain RTP leg', async () => {
    const { endpoint } = await answer(PLAIN_OFFER);
    const seen = watch(endpoint);
    assert.equal(clock.pending, 0);
    clock.advance(2 * WEBRTC_CONNECT_TIMEOUT_MS);
    assert.deepEqual(seen, []);
  });
});
