import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NegotiatedAudioCodec } from './media-negotiated-codec.ts';

describe('NegotiatedAudioCodec', () => {
  it('switches between G.711 and Opus as SDP agrees, with the frame units and payload type following', () => {
    const codec = new NegotiatedAudioCodec('PCMU');
    assert.deepEqual([codec.name, codec.payloadType, codec.clockRate, codec.frameTicks], ['PCMU', 0, 8000, 160]);
    assert.equal(codec.encodeFrame(new Int16Array(160)).length, 160);
    codec.apply({ pt: 111, name: 'opus', clockRate: 48000, channels: 2 });
    assert.deepEqual([codec.name, codec.payloadType, codec.clockRate, codec.frameTicks], ['opus', 111, 48000, 960]);
    const tone = Int16Array.from({ length: 160 }, (_, i) => Math.round(5000 * Math.sin((2 * Math.PI * i) / 8)));
    const packet = Uint8Array.from(codec.encodeFrame(tone));
    assert.ok(packet.length > 0 && packet.length < 160, `an Opus packet (${packet.length} bytes), not G.711`);
    const out = new Int16Array(160);
    assert.equal(codec.decodeFrame(packet, out), true);
    codec.apply({ pt: 96, name: 'OPUS', clockRate: 48000, channels: 2 });
    assert.equal(codec.payloadType, 96, 'a re-INVITE may renumber the dynamic payload type');
    codec.apply({ pt: 8, name: 'PCMA', clockRate: 8000 });
    assert.deepEqual([codec.name, codec.payloadType, codec.frameTicks], ['PCMA', 8, 160]);
    codec.close();
  });

  it('starts on Opus with the offered dynamic payload type, and refuses a codec callbin does not speak', () => {
    const codec = new NegotiatedAudioCodec('opus', 111);
    assert.deepEqual([codec.name, codec.payloadType, codec.frameTicks], ['opus', 111, 960]);
    assert.throws(() => codec.apply({ pt: 9, name: 'G722', clockRate: 8000 }), { code: 'UNSUPPORTED_CODEC' });
    assert.equal(codec.name, 'opus', 'unchanged after a refusal');
    codec.close();
  });
});
