import type dgram from 'node:dgram';
import type { Clock, TimerHandle } from '../../shared/index.ts';
import { bytesOf } from './bytes.ts';
import type { ReceiveStats } from './receive-stats.ts';
import {
  parseRtcpReports,
  serializeRtcpReport,
  toNtpTime,
  type RtcpReport,
  type RtcpReportBlock,
} from './rtcp-packet.ts';

/** What the reporter reads from its session when a report is due. */
export interface RtcpReporterOptions {
  socket: dgram.Socket;
  clock: Clock;
  intervalMs: number;
  stats: ReceiveStats;
  sender: () => { ssrc: number; packetCount: number; octetCount: number; rtpTimestamp: number };
  remoteSsrc: () => number;
  remoteRtp: () => { address: string; port: number } | undefined;
}

/**
 * Sends an SR (when we sent media since the last report) or an RR every interval on the injected
 * clock (RFC 3550 §6.4), and keeps the last report received from the peer.
 */
export class RtcpReporter {
  readonly #o: RtcpReporterOptions;
  #timer: TimerHandle | undefined;
  #lastSentPackets = 0;
  #lastSrNtpMiddle = 0;
  #lastSrArrivalMs = 0;
  #remoteRtcp: { address: string; port: number } | undefined;
  #lastReceived: RtcpReport | undefined;
  #reportsSent = 0;
  #closed = false;

  constructor(options: RtcpReporterOptions) {
    this.#o = options;
    options.socket.on('message', (buf, rinfo) =>
      this.#onRtcp(bytesOf(buf), { address: rinfo.address, port: rinfo.port }),
    );
    this.#schedule();
  }

  /** The peer's latest SR/RR, if any. */
  get lastReceived(): RtcpReport | undefined {
    return this.#lastReceived;
  }

  /** Number of reports sent. */
  get reportsSent(): number {
    return this.#reportsSent;
  }

  /** Stops the timer; idempotent. */
  close(): void {
    this.#closed = true;
    this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      if (this.#closed) return;
      this.#sendReport();
      this.#schedule();
    }, this.#o.intervalMs);
  }

  #sendReport(): void {
    const rtp = this.#o.remoteRtp();
    // RFC 3550 §11: RTCP goes to the RTP port + 1 unless the peer's RTCP source was learnt.
    const to = this.#remoteRtcp ?? (rtp ? { address: rtp.address, port: rtp.port + 1 } : undefined);
    if (!to) return;
    const s = this.#o.sender();
    const reports: RtcpReportBlock[] = [];
    if (this.#o.stats.received > 0) reports.push(this.#reportBlock());
    const sent = s.packetCount !== this.#lastSentPackets;
    this.#lastSentPackets = s.packetCount;
    const now = this.#o.clock.now();
    const buf = serializeRtcpReport({
      ssrc: s.ssrc,
      reports,
      ...(sent
        ? {
            sender: {
              ...toNtpTime(now),
              rtpTimestamp: s.rtpTimestamp,
              packetCount: s.packetCount,
              octetCount: s.octetCount,
            },
          }
        : {}),
    });
    this.#reportsSent++;
    this.#o.socket.send(buf, to.port, to.address);
  }

  #reportBlock(): RtcpReportBlock {
    const stats = this.#o.stats;
    const now = this.#o.clock.now();
    // RFC 3550 §6.4.1: DLSR in units of 1/65536 s, zero when no SR was received.
    const dlsr = this.#lastSrArrivalMs === 0 ? 0 : Math.floor(((now - this.#lastSrArrivalMs) / 1000) * 65536);
    return {
      ssrc: this.#o.remoteSsrc() >>> 0,
      fractionLost: stats.takeFractionLost(),
      packetsLost: stats.lost,
      highestSequence: stats.extendedMaxSeq,
      jitter: Math.round(stats.jitter),
      lastSr: this.#lastSrNtpMiddle,
      delaySinceLastSr: dlsr,
    };
  }

  #onRtcp(buf: Uint8Array, from: { address: string; port: number }): void {
    if (this.#closed) return;
    let reports: RtcpReport[];
    try {
      reports = parseRtcpReports(buf);
    } catch {
      // Garbage on the RTCP port is ignored; RTCP is advisory.
      return;
    }
    this.#remoteRtcp = from;
    for (const r of reports) {
      this.#lastReceived = r;
      if (r.sender) {
        this.#lastSrNtpMiddle = (((r.sender.ntpSec & 0xffff) << 16) | (r.sender.ntpFrac >>> 16)) >>> 0;
        this.#lastSrArrivalMs = this.#o.clock.now();
      }
    }
  }
}
