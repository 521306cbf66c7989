import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseRtpPacket,
  serializeRtpPacket,
  writeRtpHeader,
  readSequenceNumber,
  readTimestamp,
  readSsrc,
  readPayloadType,
} from './rtp-packet.ts';

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
}

test('rtp: a packet with CSRCs, header extension and padding round-trips', () => {
  const payload = Uint8Array.from([1, 2, 3, 4, 5]);
  const extension = { profile: 0xbede, data: Uint8Array.from([0x10, 0xaa, 0, 0, 0x21, 1, 2, 0]) };
  const buf = serializeRtpPacket({
    marker: true,
    payloadType: 101,
    sequenceNumber: 65535,
    timestamp: 0xfffffff0,
    ssrc: 0xdeadbeef,
    csrcs: [1, 0x80000000],
    extension,
    payload,
    paddingBytes: 3,
  });
  assert.equal(buf.length, 12 + 8 + 4 + 8 + 5 + 3);
  const p = parseRtpPacket(buf);
  assert.equal(p.marker, true);
  assert.equal(p.padding, true);
  assert.equal(p.payloadType, 101);
  assert.equal(p.sequenceNumber, 65535);
  assert.equal(p.timestamp, 0xfffffff0);
  assert.equal(p.ssrc, 0xdeadbeef);
  assert.deepEqual(p.csrcs, [1, 0x80000000]);
  assert.equal(p.extension?.profile, 0xbede);
  assert.deepEqual([...(p.extension?.data ?? [])], [...extension.data]);
  assert.deepEqual([...p.payload], [1, 2, 3, 4, 5]);
  assert.equal(p.payload.buffer, buf.buffer, 'payload is a view, not a copy');
  const again = serializeRtpPacket({ ...p, paddingBytes: 3 });
  assert.deepEqual(again, buf);
});

test('rtp: a captured PCMU header parses (golden bytes)', () => {
  const bytes = hex('80e51f30000033e00e05384e010a0000');
  const p = parseRtpPacket(bytes);
  assert.deepEqual(
    [p.marker, p.payloadType, p.sequenceNumber, p.timestamp, p.ssrc],
    [true, 101, 0x1f30, 0x33e0, 0x0e05384e],
  );
  assert.deepEqual([...p.payload], [1, 0x0a, 0, 0]);
});

test('rtp: truncated and non-v2 packets are rejected with MALFORMED_RTP', () => {
  assert.throws(() => parseRtpPacket(hex('8000')), { code: 'MALFORMED_RTP' });
  assert.throws(() => parseRtpPacket(new Uint8Array(12)), { code: 'MALFORMED_RTP' });
  const withCsrc = new Uint8Array(12);
  withCsrc[0] = 0x82;
  assert.throws(() => parseRtpPacket(withCsrc), { code: 'MALFORMED_RTP' });
  const withExt = new Uint8Array(16);
  withExt[0] = 0x90;
  withExt[15] = 2;
  assert.throws(() => parseRtpPacket(withExt), { code: 'MALFORMED_RTP' });
});

test('rtp: in-place header rewrite changes only pt/seq/ts/ssrc/marker', () => {
  const buf = serializeRtpPacket({
    payloadType: 0,
    sequenceNumber: 1,
    timestamp: 2,
    ssrc: 3,
    csrcs: [9],
    payload: Uint8Array.from([7]),
  });
  writeRtpHeader(buf, 8, 0xabcd, 0x12345678, 0xcafebabe, true);
  assert.equal(readPayloadType(buf), 8);
  assert.equal(readSequenceNumber(buf), 0xabcd);
  assert.equal(readTimestamp(buf), 0x12345678);
  assert.equal(readSsrc(buf), 0xcafebabe);
  const p = parseRtpPacket(buf);
  assert.equal(p.marker, true);
  assert.deepEqual(p.csrcs, [9]);
  assert.deepEqual([...p.payload], [7]);
});
