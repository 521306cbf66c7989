import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/index.ts';
import { OpusCodec, PCMA, PCMU } from '../codecs/index.ts';
import { parseRtpPacket, serializeRtpPacket } from './rtp-packet.ts';
import { RelayBridge } from './relay-bridge.ts';
import { RtpEcho } from './rtp-echo.ts';
import { RtpSession } from './rtp-session.ts';
import { openTestPeer, testPortAllocator, waitFor, type TestPeer } from '../testing/test-peer.ts';
import type { PortAllocator } from './port-allocator.ts';

const LOOPBACK = '127.0.0.1';

function rtp(seq: number, ts: number, ssrc: number, index: number, payloadType = 0): Uint8Array {
  const payload = new Uint8Array(160);
  payload[0] = index >> 8;
  payload[1] = index & 0xff;
  return serializeRtpPacket({ payloadType, sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc, payload });
}

async function bridgedCall(
  ports: PortAllocator,
  clock?: FakeClock,
): Promise<{ a: RtpSession; b: RtpSession; phoneA: TestPeer; phoneB: TestPeer; bridge: RelayBridge }> {
  const phoneA = await openTestPeer();
  const phoneB = await openTestPeer();
  const extra = clock ? { clock } : {};
  const a = await RtpSession.open({ ports, codec: PCMU, remote: { address: LOOPBACK, port: phoneA.port }, ...extra });
  const b = await RtpSession.open({ ports, codec: PCMU, remote: { address: LOOPBACK, port: phoneB.port }, ...extra });
  return { a, b, phoneA, phoneB, bridge: new RelayBridge(a, b) };
}

test('relay: 100 simultaneous relayed legs lose no packets and keep order with continuous sequence numbers', async () => {
  const ports = testPortAllocator(100);
  const calls: Awaited<ReturnType<typeof bridgedCall>>[] = [];
  for (let i = 0; i < 50; i++) calls.push(await bridgedCall(ports));
  const PACKETS = 100;
  for (let burst = 0; burst < 10; burst++) {
    for (const c of calls) {
      for (let k = 0; k < 10; k++) {
        const n = burst * 10 + k;
        c.phoneA.socket.send(rtp(1000 + n, 5000 + n * 160, 0x1111, n), c.a.localPort, LOOPBACK);
        c.phoneB.socket.send(rtp(60000 + n, 9000 + n * 160, 0x2222, n), c.b.localPort, LOOPBACK);
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await waitFor(
    () => calls.every((c) => c.phoneA.received.length >= PACKETS && c.phoneB.received.length >= PACKETS),
    10000,
  );
  for (const c of calls) {
    for (const [peer, session] of [
      [c.phoneB, c.b],
      [c.phoneA, c.a],
    ] as const) {
      assert.equal(peer.received.length, PACKETS);
      const packets = peer.received.map(parseRtpPacket);
      packets.forEach((p, i) => {
        assert.equal((p.payload[0] as number) * 256 + (p.payload[1] as number), i, 'order kept');
        assert.equal(p.sequenceNumber, ((packets[0]?.sequenceNumber ?? 0) + i) & 0xffff, 'continuous rewritten seq');
        assert.equal(p.ssrc, session.ssrc, 'rewritten to the outgoing leg SSRC');
        assert.equal(p.timestamp, ((packets[0]?.timestamp ?? 0) + i * 160) >>> 0);
      });
      assert.equal(packets[0]?.marker, true);
    }
    assert.equal(c.a.stats().packets_received, PACKETS);
    assert.equal(c.b.stats().packets_sent, PACKETS);
    assert.equal(c.a.stats().lost, 0);
  }
  for (const c of calls) {
    c.bridge.close();
    c.a.close();
    c.b.close();
    c.phoneA.close();
    c.phoneB.close();
  }
  assert.equal(ports.inUse, 0);
});

test('relay: symmetric latching sends replies to where packets really come from', async () => {
  const ports = testPortAllocator(2);
  const { a, b, phoneA, phoneB, bridge } = await bridgedCall(ports);
  const natted = await openTestPeer();
  natted.socket.send(rtp(1, 160, 0x3333, 0), a.localPort, LOOPBACK);
  await waitFor(() => a.remote?.port === natted.port);
  phoneB.socket.send(rtp(7, 320, 0x4444, 1), b.localPort, LOOPBACK);
  await waitFor(() => natted.received.length === 1);
  assert.equal(phoneA.received.length, 0, 'nothing goes to the SDP address any more');
  for (const x of [bridge, a, b, phoneA, phoneB, natted]) x.close();
  assert.equal(ports.inUse, 0);
});

test('relay: mute and hold drop a direction; DTMF is re-typed to the other leg telephone-event PT', async () => {
  const ports = testPortAllocator(2);
  const phoneA = await openTestPeer();
  const phoneB = await openTestPeer();
  const a = await RtpSession.open({
    ports,
    codec: PCMA,
    telephoneEventPt: 101,
    remote: { address: LOOPBACK, port: phoneA.port },
  });
  const b = await RtpSession.open({
    ports,
    codec: PCMA,
    telephoneEventPt: 96,
    remote: { address: LOOPBACK, port: phoneB.port },
  });
  const bridge = new RelayBridge(a, b);
  bridge.setMuted('a', true);
  phoneA.socket.send(rtp(1, 0, 5, 0, 8), a.localPort, LOOPBACK);
  phoneB.socket.send(rtp(1, 0, 6, 0, 8), b.localPort, LOOPBACK);
  await waitFor(() => phoneA.received.length === 1 && bridge.aToB.dropped === 1);
  bridge.setMuted('a', false);
  const digits: string[] = [];
  b.on('dtmf', (e) => digits.push(e.digit));
  const event = serializeRtpPacket({
    payloadType: 101,
    sequenceNumber: 2,
    timestamp: 160,
    ssrc: 5,
    marker: true,
    payload: Uint8Array.from([5, 0x8a, 3, 0x20]),
  });
  phoneA.socket.send(event, a.localPort, LOOPBACK);
  await waitFor(() => phoneB.received.length === 1);
  assert.equal(parseRtpPacket(phoneB.received[0] as Uint8Array).payloadType, 96);
  bridge.setHeld(true);
  phoneB.socket.send(rtp(2, 160, 6, 1, 8), b.localPort, LOOPBACK);
  await waitFor(() => bridge.bToA.dropped === 1);
  assert.equal(phoneA.received.length, 1);
  assert.throws(() => new RelayBridge(a, a), { code: 'RELAY_SAME_SESSION' });
  for (const x of [bridge, a, b, phoneA, phoneB]) x.close();
  assert.deepEqual(digits, []);
  assert.throws(() => bridge.setHeld(false), { code: 'RELAY_CLOSED' });
});

test('relay: legs with different codecs are refused', async () => {
  const ports = testPortAllocator(2);
  const a = await RtpSession.open({ ports, codec: PCMU });
  const b = await RtpSession.open({ ports, codec: PCMA });
  assert.throws(() => new RelayBridge(a, b), { code: 'CODEC_MISMATCH' });
  a.close();
  b.close();
  assert.equal(ports.inUse, 0);
});

test('echo: a leg hears back its own audio and DTMF on its own stream', async () => {
  const ports = testPortAllocator(1);
  const phone = await openTestPeer();
  const session = await RtpSession.open({ ports, codec: PCMU, remote: { address: LOOPBACK, port: phone.port } });
  const echo = new RtpEcho(session);
  phone.socket.send(rtp(10, 1600, 9, 42), session.localPort, LOOPBACK);
  const dtmf = serializeRtpPacket({
    payloadType: 101,
    sequenceNumber: 11,
    timestamp: 1760,
    ssrc: 9,
    payload: Uint8Array.from([1, 0x8a, 3, 0x20]),
  });
  phone.socket.send(dtmf, session.localPort, LOOPBACK);
  await waitFor(() => phone.received.length === 2);
  const [audio, event] = phone.received.map(parseRtpPacket);
  assert.equal(audio?.ssrc, session.ssrc);
  assert.equal(audio?.payload[1], 42);
  assert.equal(event?.payloadType, 101);
  echo.close();
  session.close();
  phone.close();
});

test('session: stats, RTCP reports on the injected clock, and close() idempotent then InvalidStateError', async () => {
  const clock = new FakeClock();
  const ports = testPortAllocator(2);
  const phone = await openTestPeer();
  const session = await RtpSession.open({ ports, codec: PCMU, clock, remote: { address: LOOPBACK, port: phone.port } });
  for (const seq of [100, 101, 103, 104]) phone.socket.send(rtp(seq, seq * 160, 77, seq), session.localPort, LOOPBACK);
  await waitFor(() => session.stats().packets_received === 4);
  session.sendAudio(new Uint8Array(160));
  const stats = session.stats();
  assert.equal(stats.lost, 1);
  assert.equal(stats.packets_sent, 1);
  assert.equal(stats.bytes_sent, 172);
  assert.ok(stats.jitter >= 0);
  const rtcpPeer = await openTestPeer();
  session.setRemote({ address: LOOPBACK, port: rtcpPeer.port - 1 });
  clock.advance(5000);
  await waitFor(() => rtcpPeer.received.length === 1);
  const report = rtcpPeer.received[0] as Uint8Array;
  assert.equal(report[1], 200, 'SR because we sent media');
  assert.equal((report[0] as number) & 0x1f, 1, 'one report block');
  session.close();
  session.close();
  assert.equal(clock.pending, 0, 'RTCP timer stopped');
  assert.throws(() => session.sendAudio(new Uint8Array(160)), { code: 'RTP_SESSION_CLOSED' });
  assert.equal(ports.inUse, 0);
  phone.close();
  rtcpPeer.close();
});

test('relay: two Opus legs forward payloads untouched, re-typed to the other dynamic PT, on a 960-tick timeline', async () => {
  const ports = testPortAllocator(2);
  const phoneA = await openTestPeer();
  const phoneB = await openTestPeer();
  const codecA = new OpusCodec(111);
  const codecB = new OpusCodec(109);
  const a = await RtpSession.open({ ports, codec: codecA, remote: { address: LOOPBACK, port: phoneA.port } });
  const b = await RtpSession.open({ ports, codec: codecB, remote: { address: LOOPBACK, port: phoneB.port } });
  const bridge = new RelayBridge(a, b);
  const encoder = new OpusCodec(111);
  const sent: Uint8Array[] = [];
  for (let n = 0; n < 10; n++) {
    const pcm = Int16Array.from({ length: 160 }, (_, i) =>
      Math.round(6000 * Math.sin((2 * Math.PI * 1000 * (n * 160 + i)) / 8000)),
    );
    const payload = Uint8Array.from(encoder.encodeFrame(pcm));
    sent.push(payload);
    const packet = serializeRtpPacket({
      payloadType: 111,
      sequenceNumber: 500 + n,
      timestamp: 48000 + n * 960,
      ssrc: 0xabc,
      payload,
    });
    phoneA.socket.send(packet, a.localPort, LOOPBACK);
  }
  await waitFor(() => phoneB.received.length === 10);
  const packets = phoneB.received.map(parseRtpPacket);
  packets.forEach((p, i) => {
    assert.equal(p.payloadType, 109);
    assert.deepEqual([...p.payload], [...(sent[i] as Uint8Array)], 'payload byte for byte');
    assert.equal(p.ssrc, b.ssrc);
    if (i > 0) {
      const prev = packets[i - 1] as (typeof packets)[number];
      assert.equal((p.sequenceNumber - prev.sequenceNumber) & 0xffff, 1);
      assert.equal((p.timestamp - prev.timestamp) >>> 0, 960);
    }
  });
  const last = packets.at(-1) as (typeof packets)[number];
  assert.equal(
    b.nextTimestamp,
    (last.timestamp + 960) >>> 0,
    "the leg's own audio would continue one Opus frame later",
  );
  const pcmu = await RtpSession.open({ ports: testPortAllocator(1), codec: PCMU });
  assert.throws(() => new RelayBridge(a, pcmu), { code: 'CODEC_MISMATCH' });
  bridge.close();
  for (const x of [a, b, pcmu, codecA, codecB, encoder, phoneA, phoneB]) x.close();
  assert.equal(ports.inUse, 0);
});
