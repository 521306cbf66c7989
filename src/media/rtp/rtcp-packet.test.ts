import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRtcpReports, serializeRtcpReport, toNtpTime, RTCP_SR, RTCP_RR } from './rtcp-packet.ts';

const block = {
  ssrc: 0x11223344,
  fractionLost: 25,
  packetsLost: -3,
  highestSequence: 0x1_0005,
  jitter: 44,
  lastSr: 0xabcd1234,
  delaySinceLastSr: 65536,
};

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test('rtcp: a sender report with a report block round-trips', () => {
  const sender = {
    ...toNtpTime(Date.UTC(2026, 0, 1, 0, 0, 0, 500)),
    rtpTimestamp: 160,
    packetCount: 50,
    octetCount: 8000,
  };
  const buf = serializeRtcpReport({ ssrc: 0xdeadbeef, sender, reports: [block] });
  assert.equal(buf.length, 52);
  assert.equal((buf[2] as number) * 256 + (buf[3] as number), 12);
  const [sr] = parseRtcpReports(buf);
  assert.equal(sr?.type, RTCP_SR);
  assert.equal(sr?.ssrc, 0xdeadbeef);
  assert.deepEqual(sr?.sender, sender);
  assert.equal(sender.ntpFrac, 2 ** 31);
  assert.deepEqual(sr?.reports, [block]);
});

test('rtcp: a compound RR + unknown packet parses the RR and skips the rest', () => {
  const rr = serializeRtcpReport({ ssrc: 7, reports: [block, { ...block, ssrc: 8, packetsLost: 100 }] });
  const sdes = hex('81ca000200000007');
  const reports = parseRtcpReports(concat([rr, concat([sdes, new Uint8Array(4)])]));
  assert.equal(reports.length, 1);
  assert.equal(reports[0]?.type, RTCP_RR);
  assert.equal(reports[0]?.sender, undefined);
  assert.deepEqual(
    reports[0]?.reports.map((r) => r.packetsLost),
    [-3, 100],
  );
});

test('rtcp: a truncated packet is rejected', () => {
  const rr = serializeRtcpReport({ ssrc: 7, reports: [block] });
  assert.throws(() => parseRtcpReports(rr.subarray(0, 20)), { code: 'MALFORMED_RTCP' });
});
