import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtectionProfileAeadAes128Gcm, RtpHeader, SrtpSession } from 'werift';
import { outgoingHeader } from './rtp-bytes.ts';

function rtp(first: number[], payload: number[]): Buffer {
  return Buffer.from([...first, ...payload]);
}

/** 12-byte header: V=2, marker, PT 111, seq 0xfffe, ts 0x01020304, SSRC 0x0a0b0c0d. */
const PLAIN = [0x80, 0x80 | 111, 0xff, 0xfe, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d];

/** Two SRTP sessions with crossed keys (AES-128-GCM, RFC 7714), as the two ends of DTLS-SRTP. */
function srtpPair(): { sender: SrtpSession; receiver: SrtpSession } {
  const k1 = Buffer.alloc(16, 1);
  const s1 = Buffer.alloc(12, 2);
  const k2 = Buffer.alloc(16, 3);
  const s2 = Buffer.alloc(12, 4);
  const profile = ProtectionProfileAeadAes128Gcm;
  const sender = new SrtpSession({
    keys: { localMasterKey: k1, localMasterSalt: s1, remoteMasterKey: k2, remoteMasterSalt: s2 },
    profile,
  });
  const receiver = new SrtpSession({
    keys: { localMasterKey: k2, localMasterSalt: s2, remoteMasterKey: k1, remoteMasterSalt: s1 },
    profile,
  });
  return { sender, receiver };
}

describe('outgoingHeader', () => {
  it('reads the fixed header as werift does', () => {
    const packet = rtp(PLAIN, [9, 8, 7]);
    const ours = outgoingHeader(packet);
    const theirs = RtpHeader.deSerialize(packet);
    for (const f of ['version', 'padding', 'extension', 'marker', 'payloadType', 'sequenceNumber'] as const) {
      assert.equal(ours[f], theirs[f], f);
    }
    assert.equal(ours.timestamp, theirs.timestamp);
    assert.equal(ours.payloadOffset, 12);
    assert.deepEqual(ours.serialize(ours.serializeSize), theirs.serialize(theirs.serializeSize));
  });

  it('leaves CSRCs and extensions to werift', () => {
    // CC=1 and X=1: one CSRC, then a one-byte extension block of one word (RFC 8285).
    const packet = rtp([0x91, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0, 1, 0x10, 0x55, 0, 0], [7]);
    const h = outgoingHeader(packet);
    assert.equal(h.csrc.length, 1);
    assert.equal(h.extension, true);
    assert.equal(h.payloadOffset, 24);
  });

  it('gives werift SRTP a header the far end decrypts to the same packet', () => {
    const { sender, receiver } = srtpPair();
    const packet = rtp(PLAIN, [1, 2, 3, 4, 5]);
    const header = outgoingHeader(packet);
    const enc = sender.encrypt(packet.subarray(header.payloadOffset), header);
    assert.deepEqual(receiver.decrypt(enc), packet);
  });
});
