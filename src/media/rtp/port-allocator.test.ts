import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { PortAllocator } from './port-allocator.ts';

function randomBase(span: number): number {
  return 20000 + 2 * Math.floor(Math.random() * ((40000 - span) / 2));
}

test('port allocator: hands out even RTP ports with RTCP on +1 until exhausted, then refuses', async () => {
  const base = randomBase(8);
  const ports = new PortAllocator({ minPort: base, maxPort: base + 7 });
  const leases = [];
  for (let i = 0; i < 4; i++) leases.push(await ports.allocate());
  for (const l of leases) {
    assert.equal(l.rtpPort % 2, 0);
    assert.equal(l.rtcpPort, l.rtpPort + 1);
    assert.equal(l.rtp.address().port, l.rtpPort);
    assert.equal(l.rtcp.address().port, l.rtcpPort);
  }
  assert.equal(ports.inUse, 4);
  await assert.rejects(ports.allocate(), { code: 'RTP_PORTS_EXHAUSTED' });
  leases[1]?.release();
  leases[1]?.release();
  assert.equal(ports.inUse, 3);
  const again = await ports.allocate();
  assert.equal(again.rtpPort, leases[1]?.rtpPort);
  again.release();
  for (const l of leases) l.release();
  assert.equal(ports.inUse, 0);
});

test('port allocator: a pair whose port is taken elsewhere is skipped', async () => {
  const base = randomBase(4);
  const squatter = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => squatter.bind(base + 1, '127.0.0.1', resolve));
  const ports = new PortAllocator({ minPort: base, maxPort: base + 3 });
  const lease = await ports.allocate();
  assert.equal(lease.rtpPort, base + 2);
  await assert.rejects(ports.allocate(), { code: 'RTP_PORTS_EXHAUSTED' });
  lease.release();
  squatter.close();
  assert.equal(ports.inUse, 0);
});

test('port allocator: 1,000 open/close cycles never leak a pair', async () => {
  const base = randomBase(6);
  const ports = new PortAllocator({ minPort: base, maxPort: base + 5 });
  for (let i = 0; i < 1000; i++) {
    const a = await ports.allocate();
    const b = await ports.allocate();
    assert.equal(ports.inUse, 2);
    a.release();
    b.release();
  }
  assert.equal(ports.inUse, 0);
});

test('port allocator: rejects an invalid range', () => {
  assert.throws(() => new PortAllocator({ minPort: 30001, maxPort: 30001 }), { code: 'INVALID_PORT_RANGE' });
  assert.throws(() => new PortAllocator({ minPort: 80, maxPort: 100 }), { code: 'INVALID_PORT_RANGE' });
});

test('port allocator: a send to an IPv4 address leaves at once (no deferred lookup), so one sent right before release() is not lost', async () => {
  const base = randomBase(2);
  const ports = new PortAllocator({ minPort: base, maxPort: base + 1 });
  const peer = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
  const received: number[] = [];
  peer.on('message', (buf) => received.push(buf[0] as number));
  const lease = await ports.allocate();
  lease.rtp.send(Uint8Array.from([1]), peer.address().port, '127.0.0.1');
  lease.release();
  // A host name still goes through the resolver.
  const named = await ports.allocate();
  named.rtp.send(Uint8Array.from([2]), peer.address().port, 'localhost');
  const deadline = Date.now() + 5000;
  while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(received.sort(), [1, 2]);
  named.release();
  peer.close();
  assert.equal(ports.inUse, 0);
});
