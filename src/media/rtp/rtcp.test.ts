import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCP_RR, RTCP_SR, serializeRtcpReport, toNtpTime } from './rtcp-packet.ts';
import {
  RTCP_SDES,
  ntpMiddle,
  readRtcpReports,
  roundTripMs,
  serializeRtcpCompound,
  serializeSdesCname,
} from './rtcp.ts';

const block = {
  ssrc: 0x11223344,
  fractionLost: 12,
  packetsLost: 19,
  highestSequence: 0x1_0180,
  jitter: 37,
  lastSr: 0x8000_4000,
  delaySinceLastSr: 32768,
};

/** A small deterministic generator (xorshift32), so the fuzz cases are the same on every run. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

describe('RTCP compound packets (RFC 3550 §6.1, §6.4, §6.5)', () => {
  it('an SR with a report block and an SDES CNAME round-trips', () => {
    const sender = {
      ...toNtpTime(Date.UTC(2026, 0, 1, 12)),
      rtpTimestamp: 16_000,
      packetCount: 250,
      octetCount: 40_000,
    };
    const buf = serializeRtcpCompound({ ssrc: 0xcafe0001, sender, reports: [block] }, 'abc@callbin');
    // SR: 8 + 20 + 24 = 52 octets; SDES: header 4 + SSRC 4 + (1 + 1 + 11 + a null) padded to 16 = 24.
    assert.equal(buf.length, 52 + 24);
    assert.equal(buf[52], 0x81, 'SDES: version 2, one chunk');
    assert.equal(buf[53], RTCP_SDES);
    assert.equal(new TextDecoder().decode(buf.subarray(62, 73)), 'abc@callbin');
    const reports = readRtcpReports(buf);
    assert.equal(reports?.length, 1, 'the SDES is skipped');
    assert.equal(reports?.[0]?.type, RTCP_SR);
    assert.equal(reports?.[0]?.ssrc, 0xcafe0001);
    assert.deepEqual(reports?.[0]?.sender, sender);
    assert.deepEqual(reports?.[0]?.reports, [block]);
  });

  it('an RR without blocks and a CNAME on a 4-octet boundary still ends in a null octet', () => {
    const sdes = serializeSdesCname(7, 'ab'); // 4 + 4 + 1 + 1 + 2 = 12: needs 4 more for the null
    assert.equal(sdes.length, 16);
    assert.equal(sdes[12], 0);
    const reports = readRtcpReports(serializeRtcpCompound({ ssrc: 7, reports: [] }, 'ab'));
    assert.deepEqual(reports, [{ type: RTCP_RR, ssrc: 7, reports: [] }]);
  });

  it('garbage is undefined, never an exception: short, wrong version, not RTCP, lengths past the end', () => {
    const rr = serializeRtcpReport({ ssrc: 7, reports: [block] });
    assert.equal(readRtcpReports(new Uint8Array(0)), undefined);
    assert.equal(readRtcpReports(rr.subarray(0, 7)), undefined);
    assert.equal(readRtcpReports(Uint8Array.from([0x40, 201, 0, 1, 0, 0, 0, 7])), undefined, 'version 1');
    assert.equal(readRtcpReports(Uint8Array.from([0x80, 0, 0, 1, 0, 0, 0, 7])), undefined, 'an RTP header');
    assert.equal(readRtcpReports(rr.subarray(0, rr.length - 4)), undefined, 'a block cut short');
    const lying = Uint8Array.from(rr);
    lying[0] = 0x80 | 3; // three blocks claimed, one present
    assert.equal(readRtcpReports(lying), undefined);
    assert.equal(readRtcpReports(Uint8Array.from([...rr, 0x80])), undefined, 'trailing octets');
    const many = new Uint8Array(17 * 4);
    for (let i = 0; i < 17; i++) many.set([0x80, 203, 0, 0], i * 4);
    assert.equal(readRtcpReports(many), undefined, 'more than 16 packets in one datagram');
  });

  it('fuzz: every truncation, 3,000 mutations and 3,000 random datagrams parse or are refused without throwing', () => {
    const valid = serializeRtcpCompound(
      { ssrc: 1, sender: { ...toNtpTime(0), rtpTimestamp: 0, packetCount: 0, octetCount: 0 }, reports: [block, block] },
      'fuzz',
    );
    let parsed = 0;
    let refused = 0;
    const check = (buf: Uint8Array): void => {
      const out = readRtcpReports(buf);
      if (out === undefined) refused++;
      else {
        parsed++;
        for (const r of out) assert.ok(r.reports.length <= 31);
      }
    };
    for (let n = 0; n <= valid.length; n++) check(valid.subarray(0, n));
    const next = xorshift(0x5eed);
    for (let i = 0; i < 3000; i++) {
      const m = Uint8Array.from(valid);
      for (let k = 0; k < 1 + (next() % 4); k++) m[next() % m.length] = next() & 0xff;
      check(m);
    }
    for (let i = 0; i < 3000; i++) {
      const r = new Uint8Array(next() % 200);
      for (let k = 0; k < r.length; k++) r[k] = next() & 0xff;
      if (r.length > 1) r[0] = 0x80 | ((r[0] as number) & 0x3f);
      check(r);
    }
    assert.ok(parsed > 0 && refused > 0, `both outcomes seen (${parsed} parsed, ${refused} refused)`);
  });
});

describe('round-trip time from LSR and DLSR (RFC 3550 §6.4.1)', () => {
  it('the SR left at T, the peer held it 0.5 s, its report came at T + 0.6 s: 100 ms', () => {
    const t = Date.UTC(2026, 0, 1, 12, 0, 0, 250);
    const sent = toNtpTime(t);
    const lsr = ntpMiddle(sent.ntpSec, sent.ntpFrac);
    const back = toNtpTime(t + 600);
    const rtt = roundTripMs(ntpMiddle(back.ntpSec, back.ntpFrac), lsr, 0.5 * 65536);
    assert.ok(rtt !== undefined && Math.abs(rtt - 100) < 0.05, `rtt ${rtt}`);
  });

  it('the example of RFC 3550 Figure 2: A 0xb710:8000, LSR 0xb705:2000, DLSR 0x0005:4000 → 6.125 s', () => {
    assert.equal(roundTripMs(0xb710_8000, 0xb705_2000, 0x0005_4000), 6125);
  });

  it('the middle 32 bits of an NTP time, across the 16-bit wrap of the seconds', () => {
    assert.equal(ntpMiddle(0x0001_ffff, 0x8000_0000), 0xffff_8000);
    assert.equal(ntpMiddle(0x0002_0000, 0x0001_0000), 0x0000_0001);
    assert.equal(roundTripMs(0x0000_0001, 0xffff_8000, 0), (0x8001 * 1000) / 65536, 'A wrapped past LSR');
  });

  it('no SR answered (LSR 0) is no figure; a small negative rounding is 0; a large one is no figure', () => {
    assert.equal(roundTripMs(0x1234_0000, 0, 0), undefined);
    assert.equal(roundTripMs(0x1000_0000, 0x1000_0010, 0), 0);
    assert.equal(roundTripMs(0x1000_0000, 0x1001_0000, 0), undefined);
  });
});
