import { ValidationError } from '../../shared/index.ts';

/*
 * RTCP SR and RR, RFC 3550 §6.4.1 / §6.4.2:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|    RC   |   PT=SR=200   |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         SSRC of sender                        |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+  SR only:
 * |              NTP timestamp, most significant word             |
 * |             NTP timestamp, least significant word             |
 * |                         RTP timestamp                         |
 * |                     sender's packet count                     |
 * |                      sender's octet count                     |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+  report block × RC:
 * |                 SSRC_1 (SSRC of first source)                 |
 * | fraction lost |       cumulative number of packets lost       |
 * |           extended highest sequence number received           |
 * |                      interarrival jitter                      |
 * |                         last SR (LSR)                         |
 * |                   delay since last SR (DLSR)                  |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *
 * PT=RR=201 has the same layout without the five sender-info words.
 */

/** RTCP packet type of a sender report. */
export const RTCP_SR = 200;
/** RTCP packet type of a receiver report. */
export const RTCP_RR = 201;

/** One reception report block. */
export interface RtcpReportBlock {
  ssrc: number;
  fractionLost: number;
  /** Cumulative packets lost (signed 24-bit). */
  packetsLost: number;
  highestSequence: number;
  jitter: number;
  lastSr: number;
  delaySinceLastSr: number;
}

/** Sender info of an SR. */
export interface RtcpSenderInfo {
  ntpSec: number;
  ntpFrac: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

/** A parsed SR or RR. */
export interface RtcpReport {
  type: typeof RTCP_SR | typeof RTCP_RR;
  ssrc: number;
  sender?: RtcpSenderInfo;
  reports: RtcpReportBlock[];
}

/** Serializes an SR (when `sender` is set) or an RR. */
export function serializeRtcpReport(report: Omit<RtcpReport, 'type'>): Uint8Array {
  if (report.reports.length > 31) throw ValidationError.field('rtcp', 'MALFORMED_RTCP', 'at most 31 report blocks');
  const senderBytes = report.sender ? 20 : 0;
  const buf = new Uint8Array(8 + senderBytes + report.reports.length * 24);
  const view = new DataView(buf.buffer);
  buf[0] = 0x80 | report.reports.length;
  buf[1] = report.sender ? RTCP_SR : RTCP_RR;
  // RFC 3550 §6.4.1: length in 32-bit words minus one.
  view.setUint16(2, buf.length / 4 - 1);
  view.setUint32(4, report.ssrc >>> 0);
  let at = 8;
  if (report.sender) {
    const s = report.sender;
    for (const word of [s.ntpSec, s.ntpFrac, s.rtpTimestamp, s.packetCount, s.octetCount]) {
      view.setUint32(at, word >>> 0);
      at += 4;
    }
  }
  for (const r of report.reports) {
    view.setUint32(at, r.ssrc >>> 0);
    buf[at + 4] = r.fractionLost & 0xff;
    const lost = Math.max(-0x800000, Math.min(0x7fffff, r.packetsLost)) & 0xffffff;
    buf[at + 5] = lost >> 16;
    view.setUint16(at + 6, lost & 0xffff);
    view.setUint32(at + 8, r.highestSequence >>> 0);
    view.setUint32(at + 12, r.jitter >>> 0);
    view.setUint32(at + 16, r.lastSr >>> 0);
    view.setUint32(at + 20, r.delaySinceLastSr >>> 0);
    at += 24;
  }
  return buf;
}

/** Parses the SR/RR packets of a (possibly compound, §6.1) RTCP datagram; other packet types are skipped. */
export function parseRtcpReports(buf: Uint8Array): RtcpReport[] {
  const out: RtcpReport[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  while (at + 4 <= buf.length) {
    if ((buf[at] as number) >> 6 !== 2) throw ValidationError.field('rtcp', 'MALFORMED_RTCP', 'not RTCP version 2');
    const count = (buf[at] as number) & 0x1f;
    const type = buf[at + 1] as number;
    const end = at + (view.getUint16(at + 2) + 1) * 4;
    if (end > buf.length) throw ValidationError.field('rtcp', 'MALFORMED_RTCP', 'truncated RTCP packet');
    if (type === RTCP_SR || type === RTCP_RR) out.push(parseReport(view, at, type, count, end));
    at = end;
  }
  return out;
}

function parseReport(
  view: DataView,
  start: number,
  type: typeof RTCP_SR | typeof RTCP_RR,
  count: number,
  end: number,
): RtcpReport {
  const report: RtcpReport = { type, ssrc: view.getUint32(start + 4), reports: [] };
  let at = start + 8;
  if (type === RTCP_SR) {
    report.sender = {
      ntpSec: view.getUint32(at),
      ntpFrac: view.getUint32(at + 4),
      rtpTimestamp: view.getUint32(at + 8),
      packetCount: view.getUint32(at + 12),
      octetCount: view.getUint32(at + 16),
    };
    at += 20;
  }
  if (at + count * 24 > end)
    throw ValidationError.field('rtcp', 'MALFORMED_RTCP', 'report blocks exceed packet length');
  for (let i = 0; i < count; i++, at += 24) {
    report.reports.push({
      ssrc: view.getUint32(at),
      fractionLost: view.getUint8(at + 4),
      packetsLost: (view.getUint32(at + 4) << 8) >> 8,
      highestSequence: view.getUint32(at + 8),
      jitter: view.getUint32(at + 12),
      lastSr: view.getUint32(at + 16),
      delaySinceLastSr: view.getUint32(at + 20),
    });
  }
  return report;
}

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET_SEC = 2208988800;

/** Converts Unix milliseconds to a 64-bit NTP timestamp (§4) as two 32-bit words. */
export function toNtpTime(unixMs: number): { ntpSec: number; ntpFrac: number } {
  const sec = Math.floor(unixMs / 1000);
  return {
    ntpSec: (sec + NTP_UNIX_OFFSET_SEC) >>> 0,
    ntpFrac: Math.floor(((unixMs - sec * 1000) / 1000) * 2 ** 32) >>> 0,
  };
}
