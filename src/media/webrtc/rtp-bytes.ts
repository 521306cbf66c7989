/** RTP headers for werift's DTLS transport without its per-packet bit-string parsing. */
import { RtpHeader } from 'werift';

/**
 * The header of an outgoing packet. werift's RtpHeader.deSerialize parses its bit fields through
 * strings, several µs a packet (docs/benchmarks.md "WebRTC legs"); packets
 * with the fixed 12-byte header only (RFC 3550 5.1: no padding, extension or CSRC, all ours) are
 * read directly.
 */
export function outgoingHeader(packet: Buffer): RtpHeader {
  const b0 = packet[0] ?? 0;
  if (packet.length < 12 || b0 !== 0x80) return RtpHeader.deSerialize(packet);
  const b1 = packet[1] ?? 0;
  const header = new RtpHeader();
  header.marker = b1 >= 0x80;
  header.payloadType = b1 & 0x7f;
  header.sequenceNumber = packet.readUInt16BE(2);
  header.timestamp = packet.readUInt32BE(4);
  header.ssrc = packet.readUInt32BE(8);
  header.payloadOffset = 12;
  return header;
}
