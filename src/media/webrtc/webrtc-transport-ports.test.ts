import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { describe, it } from 'node:test';
import { PortAllocator } from '../rtp/port-allocator.ts';
import { BROWSER_G711, TestBrowserPeer } from './test-browser-peer.ts';
import { WebRtcTransport } from './webrtc-transport.ts';

/** Binds `port` on 127.0.0.1 as another process would. */
function hold(port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => resolve(socket));
  });
}

describe('WebRtcTransport ports', () => {
  it('skips a reserved pair that another process holds, as PortAllocator.allocate() does', async () => {
    const base = 20000 + 2 * Math.floor(Math.random() * 10000);
    const held = [await hold(base), await hold(base + 1)];
    const options = {
      ports: new PortAllocator({ minPort: base, maxPort: base + 5 }),
      address: '127.0.0.1',
      codecs: BROWSER_G711,
    };
    const peer = new TestBrowserPeer(BROWSER_G711);
    const offered = await WebRtcTransport.offer(options);
    try {
      assert.notEqual(offered.transport.localPort, base);
      assert.ok(offered.transport.localPort > base + 1 && offered.transport.localPort <= base + 5);
      const answered = await WebRtcTransport.answer(await peer.offer(), options);
      assert.ok(answered.transport.localPort > base + 1, `answered on ${answered.transport.localPort}`);
      answered.transport.close();
      await answered.transport.whenClosed();
    } finally {
      offered.transport.close();
      await offered.transport.whenClosed();
      await peer.pc.close();
      for (const s of held) s.close();
    }
  });
});
