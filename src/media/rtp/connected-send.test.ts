import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/index.ts';
import { PCMU } from '../codecs/index.ts';
import { openTestPeer, testPortAllocator, waitFor, type TestPeer } from '../testing/test-peer.ts';
import { MAX_UNHEARD_SENDS } from './connected-send.ts';
import { parseRtpPacket, serializeRtpPacket } from './rtp-packet.ts';
import { RelayBridge } from './relay-bridge.ts';
import { RtpSession } from './rtp-session.ts';

const LOOPBACK = '127.0.0.1';

function rtp(seq: number, ssrc: number, index: number): Uint8Array {
  const payload = new Uint8Array(160);
  payload[0] = index;
  return serializeRtpPacket({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc, payload });
}

/** Indexes (payload byte 0) of what `peer` received so far. */
function heard(peer: TestPeer): number[] {
  return peer.received.map((b) => parseRtpPacket(b).payload[0] as number);
}

/** Runs `step` every 5 ms until `done()` holds (at most 3 s). */
async function repeatUntil(done: () => boolean, step: (i: number) => void): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i > 600) throw new Error('condition not met in time');
    step(i);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function bridged() {
  const ports = testPortAllocator(2);
  const phoneA = await openTestPeer();
  const phoneB = await openTestPeer();
  const a = await RtpSession.open({ ports, codec: PCMU, remote: { address: LOOPBACK, port: phoneA.port } });
  const b = await RtpSession.open({ ports, codec: PCMU, remote: { address: LOOPBACK, port: phoneB.port } });
  return { ports, phoneA, phoneB, a, b, bridge: new RelayBridge(a, b) };
}

test('connected send: once the peer is heard, the socket is connected to it; packets still leave from the leg port', async () => {
  const { ports, phoneA, phoneB, a, b, bridge } = await bridged();
  assert.equal(b.connectedSend, false, 'nothing heard from the SDP address yet');
  phoneB.socket.send(rtp(1, 2, 0), b.localPort, LOOPBACK);
  await waitFor(() => b.connectedSend);
  const from: number[] = [];
  phoneB.socket.on('message', (_buf, rinfo) => from.push(rinfo.port));
  for (let i = 1; i <= 5; i++) phoneA.socket.send(rtp(i, 1, i), a.localPort, LOOPBACK);
  await waitFor(() => phoneB.received.length === 5);
  assert.deepEqual(heard(phoneB), [1, 2, 3, 4, 5]);
  assert.deepEqual(new Set(from), new Set([b.localPort]), 'symmetric RTP: sent from the port we receive on');
  for (const x of [bridge, a, b, phoneA, phoneB]) x.close();
  assert.equal(ports.inUse, 0);
});

test('connected send: while the peer is heard, packets from another source are not (no hijack of the stream)', async () => {
  const { ports, phoneA, phoneB, a, b, bridge } = await bridged();
  const intruder = await openTestPeer();
  phoneB.socket.send(rtp(1, 2, 0), b.localPort, LOOPBACK);
  await waitFor(() => b.connectedSend);
  for (let i = 0; i < 20; i++) {
    phoneB.socket.send(rtp(2 + i, 2, 0), b.localPort, LOOPBACK);
    intruder.socket.send(rtp(100 + i, 9, 0), b.localPort, LOOPBACK);
  }
  await waitFor(() => b.stats().packets_received === 21);
  phoneA.socket.send(rtp(1, 1, 7), a.localPort, LOOPBACK);
  await waitFor(() => phoneB.received.length === 1);
  assert.equal(b.remote?.port, phoneB.port);
  assert.equal(intruder.received.length, 0);
  for (const x of [bridge, a, b, phoneA, phoneB, intruder]) x.close();
  assert.equal(ports.inUse, 0);
});

test('connected send: a peer that moves (NAT rebinding) is latched once the old address fell silent; moving back works too (RFC 4961)', async () => {
  const { ports, phoneA, phoneB, a, b, bridge } = await bridged();
  phoneB.socket.send(rtp(1, 2, 0), b.localPort, LOOPBACK);
  await waitFor(() => b.connectedSend);
  const moved = await openTestPeer();
  // The phone now sends from another port while the other leg keeps talking to it.
  await repeatUntil(
    () => b.remote?.port === moved.port,
    (i) => {
      moved.socket.send(rtp(10 + i, 2, 0), b.localPort, LOOPBACK);
      phoneA.socket.send(rtp(10 + i, 1, 1), a.localPort, LOOPBACK);
    },
  );
  assert.ok(
    phoneB.received.length >= MAX_UNHEARD_SENDS,
    'the old address got what was sent until it counted as silent',
  );
  await waitFor(() => b.connectedSend);
  const before = phoneB.received.length;
  phoneA.socket.send(rtp(900, 1, 2), a.localPort, LOOPBACK);
  await waitFor(() => heard(moved).includes(2));
  assert.equal(phoneB.received.length, before, 'nothing goes to the old address any more');
  await repeatUntil(
    () => b.remote?.port === phoneB.port,
    (i) => {
      phoneB.socket.send(rtp(1000 + i, 2, 0), b.localPort, LOOPBACK);
      phoneA.socket.send(rtp(1000 + i, 1, 3), a.localPort, LOOPBACK);
    },
  );
  phoneA.socket.send(rtp(2000, 1, 4), a.localPort, LOOPBACK);
  await waitFor(() => heard(phoneB).includes(4));
  for (const x of [bridge, a, b, phoneA, phoneB, moved]) x.close();
  assert.equal(ports.inUse, 0);
});

test('connected send: a leg that sends nothing unconnects after an RTCP interval without its peer, then latches a new address', async () => {
  const clock = new FakeClock();
  const ports = testPortAllocator(1);
  const first = await openTestPeer();
  const second = await openTestPeer();
  const session = await RtpSession.open({ ports, codec: PCMU, clock, remote: { address: LOOPBACK, port: first.port } });
  first.socket.send(rtp(1, 5, 0), session.localPort, LOOPBACK);
  await waitFor(() => session.connectedSend);
  clock.advance(5000);
  assert.equal(session.connectedSend, true, 'heard within the interval');
  clock.advance(5000);
  assert.equal(session.connectedSend, false, 'an interval without the peer');
  second.socket.send(rtp(2, 5, 0), session.localPort, LOOPBACK);
  await waitFor(() => session.remote?.port === second.port && session.connectedSend);
  session.close();
  for (const x of [first, second]) x.close();
  assert.equal(ports.inUse, 0);
});

test('connected send: a peer whose port closes (ICMP port unreachable) breaks nothing; a new address is latched', async () => {
  const ports = testPortAllocator(1);
  const gone = await openTestPeer();
  const session = await RtpSession.open({ ports, codec: PCMU, remote: { address: LOOPBACK, port: gone.port } });
  gone.socket.send(rtp(1, 5, 0), session.localPort, LOOPBACK);
  await waitFor(() => session.connectedSend);
  gone.close();
  // Each send to the closed port comes back as an ICMP error on the connected socket.
  for (let i = 0; i < 5; i++) {
    session.sendAudio(new Uint8Array(160));
    await new Promise((r) => setTimeout(r, 5));
  }
  const next = await openTestPeer();
  await repeatUntil(
    () => session.remote?.port === next.port,
    (i) => {
      next.socket.send(rtp(2 + i, 5, 0), session.localPort, LOOPBACK);
      session.sendAudio(new Uint8Array(160));
    },
  );
  await waitFor(() => session.connectedSend);
  session.sendAudio(new Uint8Array(160));
  await waitFor(() => next.received.length >= 1);
  session.close();
  next.close();
  assert.equal(ports.inUse, 0);
});

test('connected send: a new SDP address is sent to with its address until a packet from it arrives', async () => {
  const ports = testPortAllocator(1);
  const first = await openTestPeer();
  const second = await openTestPeer();
  const session = await RtpSession.open({ ports, codec: PCMU, remote: { address: LOOPBACK, port: first.port } });
  first.socket.send(rtp(1, 5, 0), session.localPort, LOOPBACK);
  await waitFor(() => session.connectedSend);
  session.setRemote({ address: LOOPBACK, port: second.port });
  assert.equal(session.connectedSend, false);
  session.sendAudio(new Uint8Array(160));
  await waitFor(() => second.received.length === 1);
  assert.equal(first.received.length, 0);
  second.socket.send(rtp(2, 5, 0), session.localPort, LOOPBACK);
  await waitFor(() => session.connectedSend);
  assert.equal(session.remote?.port, second.port);
  session.close();
  for (const x of [first, second]) x.close();
  assert.equal(ports.inUse, 0);
});
