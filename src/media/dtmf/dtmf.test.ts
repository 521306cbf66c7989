import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { FakeClock } from '../../shared/index.ts';
import { OpusCodec, PCMU } from '../codecs/index.ts';
import { RtpSession, parseRtpPacket } from '../rtp/index.ts';
import { testPortAllocator, waitFor } from '../testing/test-peer.ts';
import { DtmfReceiver, DtmfSender, parseDtmfRelayInfo, readTelephoneEvent, type DtmfEvent } from './index.ts';

test('dtmf: digits 1 2 # sent by our sender are received once each with their durations', async () => {
  const clock = new FakeClock();
  const ports = testPortAllocator(2);
  const a = await RtpSession.open({ ports, codec: PCMU, clock });
  const b = await RtpSession.open({ ports, codec: PCMU, clock, remote: { address: '127.0.0.1', port: a.localPort } });
  a.setRemote({ address: '127.0.0.1', port: b.localPort });
  const events: DtmfEvent[] = [];
  const packets: { marker: boolean; ts: number; end: boolean; duration: number }[] = [];
  b.on('dtmf', (e) => events.push(e));
  b.on('rtp', (p) =>
    packets.push({
      marker: p.marker,
      ts: p.timestamp,
      end: readTelephoneEvent(p.payload)?.end ?? false,
      duration: readTelephoneEvent(p.payload)?.duration ?? -1,
    }),
  );
  const sender = new DtmfSender(a, clock);
  let done = false;
  const sending = sender.send('12#', { durationMs: 120, gapMs: 60 }).then(() => (done = true));
  while (!done) {
    clock.advance(10);
    await new Promise((r) => setImmediate(r));
  }
  await sending;
  await waitFor(() => events.length === 3 && packets.length === 3 * (3 + 3));
  assert.deepEqual(events, [
    { digit: '1', durationMs: 120 },
    { digit: '2', durationMs: 120 },
    { digit: '#', durationMs: 120 },
  ]);
  const first = packets.slice(0, 6);
  assert.deepEqual(
    first.map((p) => [p.marker, p.end, p.duration]),
    [
      [true, false, 0],
      [false, false, 400],
      [false, false, 800],
      [false, true, 960],
      [false, true, 960],
      [false, true, 960],
    ],
  );
  assert.ok(
    first.every((p) => p.ts === first[0]?.ts),
    'one timestamp per event',
  );
  assert.notEqual(packets[6]?.ts, first[0]?.ts, 'the next digit has a new timestamp');
  sender.close();
  a.close();
  b.close();
  assert.equal(ports.inUse, 0);
});

test('dtmf: beside Opus, events count 48 kHz ticks both ways (RFC 4733 §2.1)', async () => {
  const clock = new FakeClock();
  const ports = testPortAllocator(2);
  const opusA = new OpusCodec(111);
  const opusB = new OpusCodec(111);
  const a = await RtpSession.open({ ports, codec: opusA, clock });
  const b = await RtpSession.open({ ports, codec: opusB, clock, remote: { address: '127.0.0.1', port: a.localPort } });
  a.setRemote({ address: '127.0.0.1', port: b.localPort });
  const events: DtmfEvent[] = [];
  const ends: number[] = [];
  b.on('dtmf', (e) => events.push(e));
  b.on('rtp', (p) => {
    const te = readTelephoneEvent(p.payload);
    if (te?.end) ends.push(te.duration);
  });
  const sender = new DtmfSender(a, clock);
  let done = false;
  const sending = sender.send('7', { durationMs: 120, gapMs: 60 }).then(() => (done = true));
  while (!done) {
    clock.advance(10);
    await new Promise((r) => setImmediate(r));
  }
  await sending;
  await waitFor(() => events.length === 1 && ends.length === 3);
  assert.deepEqual(events, [{ digit: '7', durationMs: 120 }]);
  assert.deepEqual(ends, [5760, 5760, 5760], '120 ms at 48 kHz');
  sender.close();
  a.close();
  b.close();
  opusA.close();
  opusB.close();
  assert.equal(ports.inUse, 0);
});

test('dtmf: repeated end packets and updates of one event are reported once; a lost end still reports', () => {
  const rx = new DtmfReceiver();
  const pkt = (event: number, end: boolean, duration: number): Uint8Array =>
    Uint8Array.of(event, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff);
  assert.equal(rx.push(pkt(5, false, 0), 1000), undefined);
  assert.equal(rx.push(pkt(5, false, 400), 1000), undefined);
  assert.deepEqual(rx.push(pkt(5, true, 800), 1000), { digit: '5', durationMs: 100 });
  assert.equal(rx.push(pkt(5, true, 800), 1000), undefined);
  assert.equal(rx.push(pkt(5, true, 800), 1000), undefined);
  rx.push(pkt(7, false, 400), 2000);
  assert.deepEqual(rx.push(pkt(9, false, 0), 3000), { digit: '7', durationMs: 50 });
  assert.equal(rx.push(Uint8Array.of(1, 2), 4000), undefined);
});

const PCAP_DIR = '/usr/share/sip-tester';

/** Reads RTP payloads out of a classic pcap of Ethernet/IPv4/UDP frames. */
function rtpPacketsOfPcap(file: Uint8Array): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const littleEndian = view.getUint32(0, true) === 0xa1b2c3d4;
  const out: Uint8Array[] = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const captured = view.getUint32(at + 8, littleEndian);
    const frame = file.subarray(at + 16, at + 16 + captured);
    at += 16 + captured;
    if ((((frame[12] as number) << 8) | (frame[13] as number)) !== 0x0800) continue;
    const ipHeader = ((frame[14] as number) & 0x0f) * 4;
    if (frame[14 + 9] !== 17) continue;
    out.push(frame.subarray(14 + ipHeader + 8));
  }
  return out;
}

test('dtmf: the receiver reports the right digit for each sipp RFC 2833 capture', () => {
  assert.ok(existsSync(`${PCAP_DIR}/dtmf_2833_1.pcap`), 'sipp captures missing: install the sip-tester package');
  const names = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'star', 'pound'];
  const digits = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'];
  names.forEach((name, i) => {
    const rx = new DtmfReceiver();
    const events: DtmfEvent[] = [];
    for (const raw of rtpPacketsOfPcap(new Uint8Array(readFileSync(`${PCAP_DIR}/dtmf_2833_${name}.pcap`)))) {
      const p = parseRtpPacket(raw);
      const e = rx.push(p.payload, p.timestamp);
      if (e) events.push(e);
    }
    assert.deepEqual(events, [{ digit: digits[i], durationMs: 280 }], `dtmf_2833_${name}.pcap`);
  });
});

test('dtmf: SIP INFO bodies application/dtmf-relay and application/dtmf', () => {
  assert.deepEqual(parseDtmfRelayInfo('Signal=5\r\nDuration=160\r\n', 'application/dtmf-relay'), {
    digit: '5',
    durationMs: 160,
  });
  assert.deepEqual(parseDtmfRelayInfo('Signal= #\nDuration= 250', 'Application/DTMF-Relay; charset=x'), {
    digit: '#',
    durationMs: 250,
  });
  assert.deepEqual(parseDtmfRelayInfo('11', 'application/dtmf'), { digit: '#', durationMs: 160 });
  assert.deepEqual(parseDtmfRelayInfo('*\r\n', 'application/dtmf'), { digit: '*', durationMs: 160 });
  assert.throws(() => parseDtmfRelayInfo('Duration=100', 'application/dtmf-relay'), { code: 'INVALID_DTMF_INFO' });
  assert.throws(() => parseDtmfRelayInfo('Signal=X', 'application/dtmf-relay'), { code: 'INVALID_DTMF_INFO' });
  assert.throws(() => parseDtmfRelayInfo('5', 'text/plain'), { code: 'INVALID_DTMF_INFO' });
});
