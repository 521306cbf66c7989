import { ValidationError } from '../../shared/index.ts';

/*
 * RTP fixed header, RFC 3550 §5.1:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Header extension (§5.3.1), present when X=1, after the CSRCs:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      defined by profile       |           length              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        header extension                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** Length of the fixed RTP header. */
export const RTP_HEADER_BYTES = 12;

/** A parsed RTP packet; `payload` is a view into the received buffer (no copy). */
export interface RtpPacket {
  padding: boolean;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  /** The profile-defined 16 bits and the extension body (a view), when X=1. */
  extension?: { profile: number; data: Uint8Array };
  payload: Uint8Array;
}

/** The fields needed to serialize a packet; optional fields default to false/empty. */
export interface RtpPacketInit {
  padding?: boolean;
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs?: readonly number[];
  extension?: { profile: number; data: Uint8Array };
  payload: Uint8Array;
  /** Padding bytes to append (RFC 3550 §5.1 P bit; the last byte counts them). */
  paddingBytes?: number;
}

function malformed(reason: string): ValidationError {
  return ValidationError.field('rtp', 'MALFORMED_RTP', reason);
}

/** Cheap check used on the hot path: at least a fixed header and version 2. */
export function isRtpVersion2(buf: Uint8Array, length = buf.length): boolean {
  return length >= RTP_HEADER_BYTES && (buf[0] as number) >> 6 === 2;
}

/** Offset of the payload (after CSRCs and header extension); throws ValidationError when truncated. */
export function rtpPayloadOffset(buf: Uint8Array, length = buf.length): number {
  if (!isRtpVersion2(buf, length)) throw malformed('not an RTP version 2 packet');
  const b0 = buf[0] as number;
  let offset = RTP_HEADER_BYTES + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (length < offset + 4) throw malformed('truncated header extension');
    const words = ((buf[offset + 2] as number) << 8) | (buf[offset + 3] as number);
    offset += 4 + words * 4;
  }
  if (length < offset) throw malformed('truncated header');
  return offset;
}

/** Parses an RTP packet; the payload and extension are views into `buf`. */
export function parseRtpPacket(buf: Uint8Array): RtpPacket {
  const offset = rtpPayloadOffset(buf);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  const csrcs: number[] = [];
  for (let i = 0; i < (b0 & 0x0f); i++) csrcs.push(view.getUint32(RTP_HEADER_BYTES + i * 4));
  let end = buf.length;
  const padding = (b0 & 0x20) !== 0;
  if (padding) {
    const count = buf[buf.length - 1] as number;
    if (count === 0 || end - count < offset) throw malformed('bad padding count');
    end -= count;
  }
  const packet: RtpPacket = {
    padding,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    payload: buf.subarray(offset, end),
  };
  if (b0 & 0x10) {
    const at = RTP_HEADER_BYTES + csrcs.length * 4;
    packet.extension = { profile: view.getUint16(at), data: buf.subarray(at + 4, offset) };
  }
  return packet;
}

/** Serializes a packet into a new byte array. */
export function serializeRtpPacket(init: RtpPacketInit): Uint8Array {
  const csrcs = init.csrcs ?? [];
  if (csrcs.length > 15) throw malformed('at most 15 CSRCs');
  const ext = init.extension;
  if (ext && ext.data.length % 4 !== 0) throw malformed('extension length must be a multiple of 4');
  const pad = init.paddingBytes ?? 0;
  const headerLength = RTP_HEADER_BYTES + csrcs.length * 4 + (ext ? 4 + ext.data.length : 0);
  const buf = new Uint8Array(headerLength + init.payload.length + pad);
  const view = new DataView(buf.buffer);
  buf[0] = 0x80 | (pad > 0 || init.padding ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length;
  writeRtpHeader(buf, init.payloadType, init.sequenceNumber, init.timestamp, init.ssrc, init.marker ?? false);
  csrcs.forEach((c, i) => view.setUint32(RTP_HEADER_BYTES + i * 4, c >>> 0));
  if (ext) {
    const at = RTP_HEADER_BYTES + csrcs.length * 4;
    view.setUint16(at, ext.profile);
    view.setUint16(at + 2, ext.data.length / 4);
    buf.set(ext.data, at + 4);
  }
  buf.set(init.payload, headerLength);
  if (pad > 0) buf[buf.length - 1] = pad;
  return buf;
}

/**
 * Writes marker, payload type, sequence, timestamp and SSRC into an existing header in place,
 * keeping V/P/X/CC; the relay's hot path, so it allocates nothing.
 */
export function writeRtpHeader(
  buf: Uint8Array,
  payloadType: number,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
  marker: boolean,
): void {
  buf[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  buf[2] = (sequenceNumber >>> 8) & 0xff;
  buf[3] = sequenceNumber & 0xff;
  buf[4] = timestamp >>> 24;
  buf[5] = (timestamp >>> 16) & 0xff;
  buf[6] = (timestamp >>> 8) & 0xff;
  buf[7] = timestamp & 0xff;
  buf[8] = ssrc >>> 24;
  buf[9] = (ssrc >>> 16) & 0xff;
  buf[10] = (ssrc >>> 8) & 0xff;
  buf[11] = ssrc & 0xff;
}

/** Reads the sequence number of a raw packet. */
export function readSequenceNumber(buf: Uint8Array): number {
  return ((buf[2] as number) << 8) | (buf[3] as number);
}

/** Reads the timestamp of a raw packet. */
export function readTimestamp(buf: Uint8Array): number {
  return (
    (((buf[4] as number) << 24) | ((buf[5] as number) << 16) | ((buf[6] as number) << 8) | (buf[7] as number)) >>> 0
  );
}

/** Reads the SSRC of a raw packet. */
export function readSsrc(buf: Uint8Array): number {
  return (
    (((buf[8] as number) << 24) | ((buf[9] as number) << 16) | ((buf[10] as number) << 8) | (buf[11] as number)) >>> 0
  );
}

/** Reads the payload type of a raw packet. */
export function readPayloadType(buf: Uint8Array): number {
  return (buf[1] as number) & 0x7f;
}

/** Reads the marker bit of a raw packet. */
export function readMarker(buf: Uint8Array): boolean {
  return ((buf[1] as number) & 0x80) !== 0;
}
