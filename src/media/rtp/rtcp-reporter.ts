import { randomBytes } from 'node:crypto';
import type dgram from 'node:dgram';
import type { Clock, TimerHandle } from '../../shared/index.ts';
import { bytesOf } from './bytes.ts';
import type { ReceiveStats } from './receive-stats.ts';
import { toNtpTime, type RtcpReport, type RtcpReportBlock } from './rtcp-packet.ts';
import { ntpMiddle, readRtcpReports, roundTripMs, serializeRtcpCompound } from './rtcp.ts';

/** What the reporter reads from its session when a report is due. */
export interface RtcpReporterOptions {
  socket: dgram.Socket;
  clock: Clock;
  /** The deterministic report interval T (RFC 3550 §6.2: 5 s minimum). */
  intervalMs: number;
  stats: ReceiveStats;
  sender: () => { ssrc: number; packetCount: number; octetCount: number; rtpTimestamp: number };
  remoteSsrc: () => number;
  remoteRtp: () => { address: string; port: number } | undefined;
  /** Uniform in [0, 1): randomizes the interval (default Math.random; tests pin it). */
  random?: () => number;
  /** The CNAME of our SDES (default a random 96-bit one, RFC 7022 §4.2). */
  cname?: string;
}

/**
 * Sends a compound SR (when we sent media since the last report) or RR, each with an SDES CNAME,
 * every randomized interval on the injected clock (RFC 3550 §6.2, §6.3), and reads the peer's: the
 * peer's SR gives our next report's LSR/DLSR, the peer's report block about our stream gives the
 * round-trip time (§6.4.1). Garbage on the port is dropped without an exception.
 */
export class RtcpReporter {
  readonly #o: RtcpReporterOptions;
  readonly #random: () => number;
  readonly #cname: string;
  #timer: TimerHandle | undefined;
  #lastSentPackets = 0;
  #lastSrNtpMiddle = 0;
  #lastSrArrivalMs = 0;
  #remoteRtcp: { address: string; port: number } | undefined;
  #lastReceived: RtcpReport | undefined;
  #reportsSent = 0;
  #reportsReceived = 0;
  #malformed = 0;
  #rttMs: number | undefined;
  #closed = false;

  constructor(options: RtcpReporterOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
    this.#cname = options.cname ?? randomBytes(12).toString('base64');
    options.socket.on('message', (buf, rinfo) =>
      this.#onRtcp(bytesOf(buf), { address: rinfo.address, port: rinfo.port }),
    );
    // RFC 3550 §6.2: the first report goes out after half the interval.
    this.#schedule(options.intervalMs / 2);
  }

  /** The peer's latest SR/RR, if any. */
  get lastReceived(): RtcpReport | undefined {
    return this.#lastReceived;
  }

  /** Number of reports sent. */
  get reportsSent(): number {
    return this.#reportsSent;
  }

  /** Valid RTCP datagrams received, and datagrams dropped as malformed. */
  get received(): { reports: number; malformed: number } {
    return { reports: this.#reportsReceived, malformed: this.#malformed };
  }

  /** The latest round-trip time from the peer's report on our stream; undefined until one came. */
  get rttMs(): number | undefined {
    return this.#rttMs;
  }

  /** Our SDES CNAME. */
  get cname(): string {
    return this.#cname;
  }

  /** Stops the timer; idempotent. */
  close(): void {
    this.#closed = true;
    this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** RFC 3550 §6.3.1: the interval times a uniform factor in [0.5, 1.5], so reports of many sessions do not synchronise. */
  #schedule(baseMs: number): void {
    const delay = Math.round(baseMs * (0.5 + this.#random()));
    this.#timer = this.#o.clock.setTimeout(() => {
      if (this.#closed) return;
      this.#sendReport();
      this.#schedule(this.#o.intervalMs);
    }, delay);
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
    const buf = serializeRtcpCompound(
      {
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
      },
      this.#cname,
    );
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
      packetsLost: Math.max(0, stats.lost),
      highestSequence: stats.extendedMaxSeq,
      jitter: Math.round(stats.jitter),
      lastSr: this.#lastSrNtpMiddle,
      delaySinceLastSr: dlsr,
    };
  }

  #onRtcp(buf: Uint8Array, from: { address: string; port: number }): void {
    if (this.#closed) return;
    // Only the RTP peer's host may steer where our reports go (no reflection towards a third party).
    const rtp = this.#o.remoteRtp();
    const reports = rtp && rtp.address !== from.address ? undefined : readRtcpReports(buf);
    if (!reports) {
      this.#malformed++;
      return;
    }
    this.#reportsReceived++;
    this.#remoteRtcp = from;
    const now = this.#o.clock.now();
    const ours = this.#o.sender().ssrc >>> 0;
    for (const r of reports) {
      this.#lastReceived = r;
      if (r.sender) {
        this.#lastSrNtpMiddle = ntpMiddle(r.sender.ntpSec, r.sender.ntpFrac);
        this.#lastSrArrivalMs = now;
      }
      for (const block of r.reports) {
        if (block.ssrc >>> 0 !== ours) continue;
        const { ntpSec, ntpFrac } = toNtpTime(now);
        const rtt = roundTripMs(ntpMiddle(ntpSec, ntpFrac), block.lastSr, block.delaySinceLastSr);
        if (rtt !== undefined) this.#rttMs = rtt;
      }
    }
  }
}
