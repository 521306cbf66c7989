import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PortAllocator } from '../rtp/port-allocator.ts';
import { TestBrowserPeer } from './test-browser-peer.ts';
import { WebRtcTransport } from './webrtc-transport.ts';

describe('WebRtcTransport answer formats', () => {
  it('answers only the negotiated formats: one telephone-event where the browser offered two clock rates', async () => {
    // Chromium offers telephone-event at 48 and 8 kHz; an answer with both lets it send DTMF on either.
    const peer = new TestBrowserPeer([
      { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 },
      { name: 'PCMU', payloadType: 0, clockRate: 8000 },
      { name: 'telephone-event', payloadType: 110, clockRate: 48000 },
      { name: 'telephone-event', payloadType: 126, clockRate: 8000 },
    ]);
    const base = 20000 + 2 * Math.floor(Math.random() * 10000);
    const { transport, answerSdp } = await WebRtcTransport.answer(await peer.offer(), {
      ports: new PortAllocator({ minPort: base, maxPort: base + 9 }),
      address: '127.0.0.1',
      codecs: [
        { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 },
        { name: 'telephone-event', payloadType: 110, clockRate: 48000 },
      ],
    });
    try {
      assert.match(answerSdp, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 111 110\r?$/m);
      assert.doesNotMatch(answerSdp, /^a=(rtpmap|fmtp|rtcp-fb):(126|0) /m);
      assert.match(answerSdp, /^a=rtpmap:110 telephone-event\/48000\r?$/m);
      await peer.accept(answerSdp);
    } finally {
      transport.close();
      await transport.whenClosed();
      await peer.pc.close();
    }
  });
});
