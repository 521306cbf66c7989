import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { FakeClock } from '../../shared/index.ts';
import { PortAllocator } from '../rtp/port-allocator.ts';
import { CLOSE_ALERT_CONFIRM_MS, CONSENT_TIMEOUT_MS } from './consent-watch.ts';
import { closeNotifyRecord, TestBrowserPeer } from './test-browser-peer.ts';
import { WebRtcTransport } from './webrtc-transport.ts';

const PCMU = [{ name: 'PCMU', payloadType: 0, clockRate: 8000 }];

/** A connected transport and test peer, on a FakeClock for consent freshness. */
async function connectedPair(): Promise<{ transport: WebRtcTransport; peer: TestBrowserPeer; clock: FakeClock }> {
  const clock = new FakeClock();
  const peer = new TestBrowserPeer();
  const base = 20000 + 2 * Math.floor(Math.random() * 10000);
  const { transport, answerSdp } = await WebRtcTransport.answer(await peer.offer(), {
    ports: new PortAllocator({ minPort: base, maxPort: base + 9 }),
    address: '127.0.0.1',
    codecs: PCMU,
    clock,
  });
  const up = new Promise<void>((resolve) => {
    if (transport.state === 'connected') resolve();
    transport.on('state', (s) => {
      if (s === 'connected') resolve();
    });
  });
  await peer.accept(answerSdp);
  await Promise.all([peer.connected(), up]);
  return { transport, peer, clock };
}

async function shutDown(transport: WebRtcTransport, peer: TestBrowserPeer): Promise<void> {
  transport.close();
  await transport.whenClosed();
  await peer.close();
}

/** Waits until `predicate` holds, polling (a condition, not a duration, is what the test checks). */
async function until(predicate: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  for (let waited = 0; !predicate(); waited += 20) {
    if (waited > limitMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('WebRtcTransport consent freshness (RFC 7675)', () => {
  it('fails a connected leg whose peer vanished without a BYE or an alert, once the consent timeout passes', async () => {
    const { transport, peer, clock } = await connectedPair();
    try {
      await peer.vanish();
      await sleep(50); // packets already on the wire are taken before the clock moves
      clock.advance(CONSENT_TIMEOUT_MS - 1);
      assert.equal(transport.state, 'connected');
      clock.advance(1);
      assert.equal(transport.state, 'failed');
    } finally {
      await shutDown(transport, peer);
    }
  });

  it('keeps a leg on hold (no RTP either way) up past the timeout while consent checks arrive', async () => {
    const { transport, peer, clock } = await connectedPair();
    try {
      clock.advance(CONSENT_TIMEOUT_MS - 5_000);
      const before = peer.consentResponses;
      await until(() => peer.consentResponses > before, 'a consent check');
      // Past the timeout counted from the connection, well within it counted from the check.
      clock.advance(10_000);
      assert.equal(transport.state, 'connected', 'the consent check renewed consent');
      // Without further checks (time jumps at once), consent expires.
      clock.advance(CONSENT_TIMEOUT_MS);
      assert.equal(transport.state, 'failed');
    } finally {
      await shutDown(transport, peer);
    }
  });

  it('fails the leg soon after a DTLS close alert from the peer when nothing follows it', async () => {
    const { transport, peer, clock } = await connectedPair();
    try {
      peer.sendCloseAlert();
      await sleep(50);
      await peer.vanish();
      await sleep(50);
      clock.advance(CLOSE_ALERT_CONFIRM_MS - 1);
      assert.equal(transport.state, 'connected');
      clock.advance(1);
      assert.equal(transport.state, 'failed');
      assert.ok(CLOSE_ALERT_CONFIRM_MS < CONSENT_TIMEOUT_MS);
    } finally {
      await shutDown(transport, peer);
    }
  });

  it('keeps the leg when a close alert from another address is contradicted by the peer’s media', async () => {
    const { transport, peer, clock } = await connectedPair();
    const spoofer = createSocket('udp4');
    try {
      let received = 0;
      transport.onPacket(() => received++);
      await new Promise<void>((resolve) =>
        spoofer.send(closeNotifyRecord(), transport.localPort, '127.0.0.1', () => resolve()),
      );
      await sleep(50);
      peer.sendPcmu(new Int16Array(160));
      await until(() => received > 0, 'the peer’s RTP');
      clock.advance(CLOSE_ALERT_CONFIRM_MS);
      assert.equal(transport.state, 'connected');
    } finally {
      spoofer.close();
      await shutDown(transport, peer);
    }
  });
});
