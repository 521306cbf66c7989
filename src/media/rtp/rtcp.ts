import { RTCP_RR, RTCP_SR, parseRtcpReports, serializeRtcpReport, type RtcpReport } from './rtcp-packet.ts';

/*
 * RTCP beyond SR/RR (RFC 3550 §6): the SDES CNAME every compound packet carries (§6.1, §6.5), a
 * parse that never throws (garbage on the RTCP port is dropped for the price of a few comparisons),
 * and the round-trip time from a reception report's LSR and DLSR (§6.4.1).
 */

/** RTCP packet type of source description items. */
export const RTCP_SDES = 202;
/** The CNAME item of an SDES chunk. */
const SDES_CNAME = 1;
/** Most RTCP packets of one compound datagram looked at. */
const MAX_COMPOUND_PACKETS = 16;

/**
 * An SDES packet with one chunk: `ssrc` and its CNAME (RFC 3550 §6.5). The item list ends with at
 * least one null octet, up to the next 32-bit boundary.
 */
export function serializeSdesCname(ssrc: number, cname: string): Uint8Array {
  const text = new TextEncoder().encode(cname).subarray(0, 255);
  // header (4) + SSRC (4) + type, length, text + at least one terminating null, padded to 4.
  const chunk = 4 + 2 + text.length;
  const length = 4 + (chunk + 4 - (chunk % 4));
  const buf = new Uint8Array(length);
  const view = new DataView(buf.buffer);
  buf[0] = 0x81;
  buf[1] = RTCP_SDES;
  view.setUint16(2, length / 4 - 1);
  view.setUint32(4, ssrc >>> 0);
  buf[8] = SDES_CNAME;
  buf[9] = text.length;
  buf.set(text, 10);
  return buf;
}

/** A compound RTCP packet (RFC 3550 §6.1): the SR or RR first, then the SDES CNAME. */
export function serializeRtcpCompound(report: Omit<RtcpReport, 'type'>, cname: string): Uint8Array {
  const first = serializeRtcpReport(report);
  const sdes = serializeSdesCname(report.ssrc, cname);
  const out = new Uint8Array(first.length + sdes.length);
  out.set(first, 0);
  out.set(sdes, first.length);
  return out;
}

/**
 * The SR and RR packets of a datagram, or undefined when it is not valid RTCP: a version other
 * than 2, a length past the end, report blocks past their packet, or more than 16 packets. Never
 * throws; its cost is bounded by the datagram's length.
 */
export function readRtcpReports(buf: Uint8Array): RtcpReport[] | undefined {
  if (buf.length < 8 || !isRtcpHeader(buf)) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  let packets = 0;
  while (at + 4 <= buf.length) {
    if (((buf[at] as number) & 0xc0) !== 0x80 || ++packets > MAX_COMPOUND_PACKETS) return undefined;
    const end = at + (view.getUint16(at + 2) + 1) * 4;
    if (end > buf.length) return undefined;
    const type = buf[at + 1] as number;
    const count = (buf[at] as number) & 0x1f;
    if (type === RTCP_SR || type === RTCP_RR) {
      const body = 8 + (type === RTCP_SR ? 20 : 0) + count * 24;
      if (at + body > end) return undefined;
    }
    at = end;
  }
  if (at !== buf.length) return undefined;
  // Every bound was checked above, so the parse below cannot throw.
  return parseRtcpReports(buf);
}

/** True when the first octets look like an RTCP packet (version 2, packet type 192-223, RFC 5761 §4). */
export function isRtcpHeader(buf: Uint8Array): boolean {
  const pt = buf[1] as number;
  return buf.length >= 4 && ((buf[0] as number) & 0xc0) === 0x80 && pt >= 192 && pt <= 223;
}

/** The middle 32 bits of a 64-bit NTP timestamp: the form of LSR (RFC 3550 §6.4.1). */
export function ntpMiddle(ntpSec: number, ntpFrac: number): number {
  return (((ntpSec & 0xffff) << 16) | (ntpFrac >>> 16)) >>> 0;
}

/**
 * The round-trip time in ms from a reception report that answers one of our SRs (RFC 3550 §6.4.1,
 * Figure 2): A − LSR − DLSR, where A is the report's arrival in the same middle-32-bit NTP units
 * (1/65536 s). Undefined when the report answers no SR (LSR 0) or gives a time further back than
 * a 100 ms rounding slack (a peer's clock error); a slightly negative figure is 0.
 */
export function roundTripMs(arrivalNtpMiddle: number, lsr: number, dlsr: number): number | undefined {
  if (lsr === 0) return undefined;
  const units = (arrivalNtpMiddle - lsr - dlsr) | 0;
  if (units < -6554) return undefined;
  return Math.max(0, (units * 1000) / 65536);
}
