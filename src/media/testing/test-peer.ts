import dgram from 'node:dgram';
import { bytesOf } from '../rtp/bytes.ts';
import { PortAllocator } from '../rtp/port-allocator.ts';

/** A plain UDP endpoint standing in for a phone in tests and benchmarks. */
export interface TestPeer {
  socket: dgram.Socket;
  port: number;
  received: Uint8Array[];
  close(): void;
}

/** Binds a phone-like UDP socket on an ephemeral loopback port that records what it receives. */
export async function openTestPeer(): Promise<TestPeer> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const received: Uint8Array[] = [];
  socket.on('message', (buf) => received.push(bytesOf(buf)));
  return { socket, port: socket.address().port, received, close: () => socket.close() };
}

/** A PortAllocator over a random range of `pairs` pairs, so concurrent test files rarely collide. */
export function testPortAllocator(pairs: number): PortAllocator {
  const span = pairs * 2 + 40;
  const base = 20000 + 2 * Math.floor(Math.random() * ((40000 - span) / 2));
  return new PortAllocator({ minPort: base, maxPort: base + span - 1, receiveBufferBytes: 1 << 20 });
}

/** Resolves once `check()` holds, polling every few ms; rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
