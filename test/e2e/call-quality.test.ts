import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import {
  RTCP_RR,
  RTCP_SR,
  RTCP_SDES,
  ntpMiddle,
  readRtcpReports,
  serializeRtcpReport,
  serializeRtpPacket,
  type RtcpReport,
} from '../../src/media/index.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import { eventually, incomingCallTo, numberWithFlow, startCaller, startFlowsCallbin } from '../support/flows-peers.ts';
import type { CallerMedia, FlowsCallbin } from '../support/flows-peers.ts';
import { freePort } from '../support/sipp.ts';

function bindUdp(port: number): Promise<Socket | undefined> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(undefined));
    socket.bind(port, '127.0.0.1', () => resolve(socket));
  });
}

/**
 * The caller's media: RTP on an even port and a socket on the next one for RTCP (RFC 3550 §11). It
 * latches on to callbin's RTP, then sends a 20 ms PCMU packet per 20 ms, skipping every 20th
 * sequence number when `dropEvery20th` (5 % loss); it keeps callbin's RTCP reports and, when
 * `answerSr`, answers each SR at once with an RR carrying its LSR (DLSR 0), so callbin can measure RTT.
 */
class QualityPeer {
  readonly reports: RtcpReport[] = [];
  readonly cnames: string[] = [];
  sent = 0;
  heard = 0;
  /** RTCP datagrams from callbin that were not valid SR/RR packets. */
  invalid = 0;
  #remote: { address: string; port: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;

  private constructor(
    readonly rtp: Socket,
    readonly rtcp: Socket,
    readonly options: { dropEvery20th: boolean; answerSr: boolean },
  ) {
    rtp.on('message', (_msg, rinfo) => {
      this.#remote ??= { address: rinfo.address, port: rinfo.port };
      this.heard++;
      this.#timer ??= setInterval(() => this.#send(), 20);
    });
    rtcp.on('message', (msg, rinfo) => this.#onRtcp(new Uint8Array(msg), rinfo.port));
  }

  static async open(options: { dropEvery20th: boolean; answerSr: boolean }): Promise<QualityPeer> {
    for (let i = 0; i < 50; i++) {
      const rtp = await bindUdp(0);
      if (!rtp) continue;
      const port = rtp.address().port;
      const rtcp = port % 2 === 0 ? await bindUdp(port + 1) : undefined;
      if (rtcp) return new QualityPeer(rtp, rtcp, options);
      rtp.close();
    }
    throw new Error('no even/odd port pair');
  }

  /** The port for the caller's SDP (what `CallerMedia.port` is to `startCaller`). */
  get port(): number {
    return this.rtp.address().port;
  }

  get srAnswered(): boolean {
    return this.options.answerSr && this.reports.some((r) => r.type === RTCP_SR);
  }

  #send(): void {
    const seq = this.#seq++;
    if (!this.#remote || (this.options.dropEvery20th && seq % 20 === 19)) return;
    const packet = serializeRtpPacket({
      payloadType: 0,
      sequenceNumber: seq & 0xffff,
      timestamp: seq * 160,
      ssrc: 0x5eed0002,
      payload: new Uint8Array(160).fill(0xff),
    });
    this.sent++;
    this.rtp.send(packet, this.#remote.port, this.#remote.address);
  }

  #onRtcp(buf: Uint8Array, fromPort: number): void {
    const reports = readRtcpReports(buf);
    if (!reports || reports.length === 0) {
      this.invalid++;
      return;
    }
    this.reports.push(...reports);
    // The SDES after the SR/RR: its first item is the CNAME (RFC 3550 §6.5.1).
    const first = reports[0] as RtcpReport;
    const sdesAt = 8 + (first.sender ? 20 : 0) + first.reports.length * 24;
    if (buf[sdesAt + 1] === RTCP_SDES && buf[sdesAt + 8] === 1)
      this.cnames.push(new TextDecoder().decode(buf.subarray(sdesAt + 10, sdesAt + 10 + (buf[sdesAt + 9] ?? 0))));
    const sr = reports.find((r) => r.sender);
    if (!this.options.answerSr || !sr?.sender) return;
    const rr = serializeRtcpReport({
      ssrc: 0x5eed0002,
      reports: [
        {
          ssrc: sr.ssrc,
          fractionLost: 0,
          packetsLost: 0,
          highestSequence: 0,
          jitter: 0,
          lastSr: ntpMiddle(sr.sender.ntpSec, sr.sender.ntpFrac),
          delaySinceLastSr: 0,
        },
      ],
    });
    this.rtcp.send(rr, fromPort, '127.0.0.1');
  }

  close(): void {
    clearInterval(this.#timer);
    this.rtp.close();
    this.rtcp.close();
  }
}

describe('media quality per leg: qos at hangup, RTCP both ways, timeline samples', () => {
  let callbin: FlowsCallbin;
  const sipps: SippProcess[] = [];
  const peers: QualityPeer[] = [];

  before(async () => {
    callbin = await startFlowsCallbin();
    // A provider on 127.0.0.1 makes the sipp callers a trusted source.
    const provider = await callbin.api('POST', '/providers', {
      hostname: '127.0.0.1',
      port: await freePort('udp'),
      transport: 'udp',
    });
    assert.equal(provider.status, 200, JSON.stringify(provider.body));
  });
  after(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    for (const p of peers) p.close();
    await callbin?.close();
  });

  /** A sipp call to `number` (answered, then silent until callbin's BYE) with `peer` as its media; hung up once `ready` holds. */
  async function callAndHangUp(number: string, peer: QualityPeer, ready: (callId: string) => Promise<boolean>) {
    await numberWithFlow(callbin, number, [{ type: 'answer' }, { type: 'sleep', option: { duration: 120_000 } }]);
    const sipp = await startCaller(callbin, 'flows-caller-wait-bye.xml', number, peer as unknown as CallerMedia);
    sipps.push(sipp);
    const call = await incomingCallTo(callbin, number, (c) => c.status === 'progressing', 20_000);
    await eventually(async () => ((await ready(call.id)) ? true : undefined), 30_000, `the call to ${number} ready`);
    const hangup = await callbin.api('POST', `/calls/${call.id}/hangup`);
    assert.equal(hangup.status, 200, JSON.stringify(hangup.body));
    const ended = await eventually(
      async () => {
        const res = await callbin.api('GET', `/calls/${call.id}`);
        return res.body.status === 'hangup' ? res.body : undefined;
      },
      20_000,
      'the hangup',
    );
    assert.equal((await sipp.exited).code, 0, 'the caller got our BYE');
    return ended;
  }

  let cleanMos = 0;

  it('a clean call: packets both ways, 0 loss, an RTT from RTCP, a high MOS, and quality entries every 5 s', async () => {
    const peer = await QualityPeer.open({ dropEvery20th: false, answerSr: true });
    peers.push(peer);
    const timelineHas = async (callId: string) => {
      const res = await callbin.api('GET', `/calls/${callId}/timeline?kinds=quality`);
      return (
        res.status === 200 &&
        (res.body.result as { data: { packets_received: number } }[]).some((e) => e.data.packets_received > 0)
      );
    };
    const call = await callAndHangUp(
      '+15550009101',
      peer,
      async (id) => peer.sent >= 250 && peer.srAnswered && (await timelineHas(id)),
    );
    const qos = call.qos as Record<string, unknown>[];
    console.log('clean call qos:', JSON.stringify(qos));
    assert.equal(qos.length, 1, 'one leg');
    const leg = qos[0] as Record<string, number | string | null>;
    assert.equal(leg.codec, 'PCMU');
    assert.ok((leg.packets_received as number) >= 250 && (leg.packets_sent as number) >= 250, 'packets both ways');
    assert.ok((leg.bytes_received as number) >= 250 * 172);
    assert.equal(leg.packets_lost, 0);
    assert.equal(leg.loss_pct, 0);
    assert.equal(typeof leg.rtt_ms, 'number', 'the peer answered our SR');
    assert.ok((leg.rtt_ms as number) >= 0 && (leg.rtt_ms as number) < 200, `loopback rtt ${leg.rtt_ms}`);
    assert.ok((leg.mos as number) > 4, `mos ${leg.mos}`);
    cleanMos = leg.mos as number;
    // RTCP from callbin reached the peer's RTP port + 1: valid SR/RR with a CNAME, about our stream.
    assert.ok(peer.reports.some((r) => r.type === RTCP_SR || r.type === RTCP_RR));
    assert.equal(peer.invalid, 0, 'every RTCP datagram from callbin is a valid SR or RR');
    assert.ok(
      peer.reports.some((r) => r.reports.some((b) => b.ssrc === 0x5eed0002)),
      'a report block on our stream',
    );
    assert.ok(peer.cnames.length > 0 && peer.cnames.every((c) => c.length > 0), 'SDES CNAME');
    const timeline = await callbin.api('GET', `/calls/${call.id}/timeline?kinds=quality`);
    const sample = timeline.body.result[0];
    assert.equal(sample.kind, 'quality');
    assert.equal(sample.data.leg_id, leg.leg_id);
    assert.equal(sample.data.codec, 'PCMU');
  });

  it('the same call with every 20th packet of the caller dropped: about 5 % lost and a lower MOS; no RTCP answer, no RTT', async () => {
    const peer = await QualityPeer.open({ dropEvery20th: true, answerSr: false });
    peers.push(peer);
    const call = await callAndHangUp('+15550009102', peer, async () => peer.sent >= 250 && peer.reports.length > 0);
    const qos = call.qos as Record<string, unknown>[];
    console.log('lossy call qos:', JSON.stringify(qos));
    const leg = qos[0] as Record<string, number | string | null>;
    const loss = leg.loss_pct as number;
    assert.ok(loss >= 3 && loss <= 7, `loss ${loss} %`);
    assert.ok((leg.packets_lost as number) > 0);
    assert.equal(leg.rtt_ms, null);
    assert.ok(cleanMos > 0, 'the clean call ran first');
    assert.ok((leg.mos as number) < cleanMos, `mos ${leg.mos} below the clean call's ${cleanMos}`);
    const metrics = await fetch(`${callbin.apiUrl}/metrics`);
    const text = await metrics.text();
    const count = /^callbin_call_leg_mos_count (\d+)$/m.exec(text);
    assert.ok(count && Number(count[1]) >= 2, 'both legs in the MOS histogram');
    assert.match(text, /^callbin_call_leg_loss_percent_bucket\{le="5"\} \d+$/m);
  });
});
