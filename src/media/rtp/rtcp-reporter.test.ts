import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../shared/index.ts';
import { ReceiveStats } from './receive-stats.ts';
import { serializeRtcpReport, toNtpTime, RTCP_RR, RTCP_SR, type RtcpReport } from './rtcp-packet.ts';
import { RTCP_SDES, ntpMiddle, readRtcpReports } from './rtcp.ts';
import { RtcpReporter } from './rtcp-reporter.ts';

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  return s;
}

/** Resolves with the next datagram the socket receives. */
function nextDatagram(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => socket.once('message', (msg) => resolve(msg)));
}

async function until(probe: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !probe(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(probe(), what);
}

describe('RtcpReporter: compound SR/RR with CNAME at a randomized interval; RTT and LSR/DLSR from the peer', () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
  const OUR_SSRC = 0xcafe0001;
  const PEER_SSRC = 0x5eed0001;
  let ours: Socket;
  let peer: Socket;
  let reporter: RtcpReporter;
  const randoms = [0, 0.999, 0.5, 0.5, 0.5, 0.5];
  const stats = new ReceiveStats();
  let sent = { packetCount: 10, octetCount: 1720 };

  before(async () => {
    ours = await bound();
    peer = await bound();
    // The peer's RTP port is the one below its RTCP port (RFC 3550 §11).
    const peerRtp = { address: '127.0.0.1', port: peer.address().port - 1 };
    for (const seq of [0, 1, 2, 4]) stats.update(seq, seq * 160, 172, clock.now() + seq * 20, 8000, PEER_SSRC);
    reporter = new RtcpReporter({
      socket: ours,
      clock,
      intervalMs: 5000,
      stats,
      sender: () => ({ ssrc: OUR_SSRC, rtpTimestamp: 1600, ...sent }),
      remoteSsrc: () => PEER_SSRC,
      remoteRtp: () => peerRtp,
      random: () => randoms.shift() ?? 0.5,
      cname: 'leg@test',
    });
  });
  after(() => {
    reporter.close();
    ours.close();
    peer.close();
  });

  it('the first report goes out at half the interval times 0.5-1.5: an SR + SDES CNAME with our block on the peer', async () => {
    const got = nextDatagram(peer);
    clock.advance(1249);
    assert.equal(reporter.reportsSent, 0, 'not before 2.5 s × 0.5');
    clock.advance(1);
    const buf = new Uint8Array(await got);
    const [sr] = readRtcpReports(buf) ?? [];
    assert.equal(sr?.type, RTCP_SR);
    assert.equal(sr?.ssrc, OUR_SSRC);
    assert.deepEqual(sr?.sender, { ...toNtpTime(clock.now()), rtpTimestamp: 1600, packetCount: 10, octetCount: 1720 });
    assert.equal(sr?.reports.length, 1);
    const block = sr?.reports[0];
    assert.equal(block?.ssrc, PEER_SSRC);
    assert.equal(block?.packetsLost, 1, 'seq 3 of 0-4 missing');
    assert.equal(block?.fractionLost, Math.floor(256 / 5));
    assert.equal(block?.lastSr, 0, 'no SR from the peer yet');
    const sdesAt = 8 + 20 + 24; // after the SR with one block
    assert.equal(buf.length, sdesAt + 20, 'SDES: 4 + SSRC 4 + 1 + 1 + 8 octets + a null, padded to 20');
    assert.equal(buf[sdesAt + 1], RTCP_SDES);
    assert.equal(new TextDecoder().decode(buf.subarray(sdesAt + 10, sdesAt + 18)), 'leg@test');
  });

  it('the peer answers with an RR on our SR: RTT = now − LSR − DLSR', async () => {
    const sentAt = clock.now();
    const lsr = ntpMiddle(toNtpTime(sentAt).ntpSec, toNtpTime(sentAt).ntpFrac);
    clock.advance(300);
    const rr = serializeRtcpReport({
      ssrc: PEER_SSRC,
      reports: [
        {
          ssrc: OUR_SSRC,
          fractionLost: 0,
          packetsLost: 0,
          highestSequence: 9,
          jitter: 3,
          lastSr: lsr,
          delaySinceLastSr: 0.25 * 65536,
        },
      ],
    });
    peer.send(rr, ours.address().port, '127.0.0.1');
    await until(() => reporter.rttMs !== undefined, 'the RR was read');
    assert.ok(Math.abs((reporter.rttMs ?? 0) - 50) < 0.1, `300 ms − 250 ms held = 50 ms, got ${reporter.rttMs}`);
    assert.equal(reporter.lastReceived?.type, RTCP_RR);
  });

  it('garbage on the port is counted and dropped; a report about another source gives no RTT', async () => {
    const before = reporter.received;
    peer.send(Buffer.from('not rtcp at all'), ours.address().port, '127.0.0.1');
    const other = serializeRtcpReport({
      ssrc: PEER_SSRC,
      reports: [
        { ssrc: 42, fractionLost: 0, packetsLost: 0, highestSequence: 0, jitter: 0, lastSr: 1, delaySinceLastSr: 0 },
      ],
    });
    peer.send(other, ours.address().port, '127.0.0.1');
    await until(
      () => reporter.received.reports === before.reports + 1 && reporter.received.malformed === before.malformed + 1,
      'both read',
    );
    assert.ok(Math.abs((reporter.rttMs ?? 0) - 50) < 0.1, 'unchanged');
  });

  it("the peer's SR is echoed in our next report (LSR, DLSR); without media sent since, it is an RR; the interval was 5 s × 1.499", async () => {
    const peerSrAt = clock.now();
    const ntp = toNtpTime(peerSrAt - 40);
    const peerSr = serializeRtcpReport({
      ssrc: PEER_SSRC,
      sender: { ...ntp, rtpTimestamp: 0, packetCount: 4, octetCount: 688 },
      reports: [],
    });
    peer.send(peerSr, ours.address().port, '127.0.0.1');
    await until(() => reporter.lastReceived?.type === RTCP_SR, 'the SR was read');
    const got = nextDatagram(peer);
    // Sent at +1250; the second delay is round(5000 × 1.499) = 7495 ms; 300 of them have passed.
    clock.advance(7495 - 300 - 1);
    assert.equal(reporter.reportsSent, 1);
    clock.advance(1);
    const [rr] = readRtcpReports(new Uint8Array(await got)) ?? [];
    assert.equal((rr as RtcpReport).type, RTCP_RR, 'no packet sent since the SR');
    const block = rr?.reports[0];
    assert.equal(block?.lastSr, ntpMiddle(ntp.ntpSec, ntp.ntpFrac));
    assert.equal(block?.delaySinceLastSr, Math.floor(((clock.now() - peerSrAt) / 1000) * 65536));
    sent = { packetCount: 20, octetCount: 3440 };
  });

  it('closed: no more reports', () => {
    reporter.close();
    const count = reporter.reportsSent;
    clock.advance(60_000);
    assert.equal(reporter.reportsSent, count);
  });
});
