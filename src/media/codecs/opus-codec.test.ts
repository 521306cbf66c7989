import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpusCodec } from './opus-codec.ts';
import { OpusState } from './opus-library.ts';
import { goertzelPower } from '../testing/tones.ts';

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const x of samples) sum += x * x;
  return Math.sqrt(sum / samples.length);
}

/** `frames` 20 ms frames of a sine at `hz`, `channels` interleaved, continuous across frames. */
function toneFrames(hz: number, rate: number, frames: number, channels = 1, amplitude = 8000): Int16Array[] {
  const n = rate / 50;
  return Array.from({ length: frames }, (_, f) => {
    const frame = new Int16Array(n * channels);
    for (let i = 0; i < n; i++) {
      const v = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (f * n + i)) / rate));
      for (let c = 0; c < channels; c++) frame[i * channels + c] = v;
    }
    return frame;
  });
}

/** Decodes `packets` with a fresh OpusCodec and returns the 8 kHz PCM after the first `skip` frames. */
function decodeAll(packets: Uint8Array[], skip = 5): Int16Array {
  const codec = new OpusCodec(111);
  const out = new Int16Array(160 * (packets.length - skip));
  const frame = new Int16Array(160);
  packets.forEach((p, i) => {
    assert.equal(codec.decodeFrame(p, frame), true);
    if (i >= skip) out.set(frame, (i - skip) * 160);
  });
  codec.close();
  return out;
}

describe('OpusCodec', () => {
  it('describes an Opus RTP stream: 48 kHz clock, 960 ticks per 20 ms, the payload type it was given', () => {
    const codec = new OpusCodec(109);
    assert.deepEqual([codec.name, codec.payloadType, codec.clockRate, codec.frameTicks], ['opus', 109, 48000, 960]);
    codec.close();
  });

  it('a 1 kHz tone of 8 kHz PCM comes back as a 1 kHz tone through encodeFrame and decodeFrame', () => {
    const encoder = new OpusCodec(111);
    const packets = toneFrames(1000, 8000, 30).map((f) => Uint8Array.from(encoder.encodeFrame(f)));
    encoder.close();
    for (const p of packets) assert.ok(p.length > 0 && p.length < 200, `packet of ${p.length} bytes`);
    const pcm = decodeAll(packets);
    const tone = goertzelPower(pcm, 1000);
    assert.ok(tone > 50 * goertzelPower(pcm, 600) && tone > 50 * goertzelPower(pcm, 1500), 'energy sits at 1 kHz');
    assert.ok(rms(pcm) > 2000, `level kept (rms ${rms(pcm)})`);
  });

  it('decodes a stereo 48 kHz packet (what a browser may send) to mono 8 kHz', () => {
    const stereo = new OpusState({ sampleRate: 48000, channels: 2, bitrate: 64000 });
    const packets = toneFrames(1000, 48000, 30, 2).map((f) => Uint8Array.from(stereo.encode(f)));
    stereo.close();
    assert.ok(
      packets.every((p) => ((p[0] as number) & 0x04) !== 0),
      'TOC stereo flag set (RFC 6716 §3.1)',
    );
    const pcm = decodeAll(packets);
    assert.ok(goertzelPower(pcm, 1000) > 50 * goertzelPower(pcm, 1500));
    assert.ok(rms(pcm) > 2000);
  });

  it('cuts what a wideband sender puts above 4 kHz instead of folding it below (anti-aliasing)', () => {
    const wide = (hz: number): Int16Array => {
      const state = new OpusState({ sampleRate: 48000, bitrate: 64000 });
      const packets = toneFrames(hz, 48000, 30).map((f) => Uint8Array.from(state.encode(f)));
      state.close();
      return decodeAll(packets);
    };
    const inBand = wide(1000);
    const above = wide(6000);
    // Folded at 8 kHz, 6 kHz would land at 2 kHz: that alias must be ≥ 30 dB under the in-band tone.
    assert.ok(rms(above) < rms(inBand) / 30, `6 kHz leaks as rms ${rms(above)} vs ${rms(inBand)}`);
    assert.ok(goertzelPower(above, 2000) < goertzelPower(inBand, 1000) / 1000);
  });

  it('a corrupted, empty or late payload decodes to silence and false, never an exception', () => {
    const codec = new OpusCodec(111);
    const frame = new Int16Array(160).fill(7);
    assert.equal(codec.decodeFrame(Uint8Array.of(0xff, 0xff, 0xff, 1, 2, 3), frame), false);
    assert.ok(frame.every((x) => x === 0));
    frame.fill(7);
    assert.equal(codec.decodeFrame(new Uint8Array(0), frame), false);
    assert.ok(frame.every((x) => x === 0));
    for (let i = 0; i < 200; i++) {
      const junk = Uint8Array.from({ length: 1 + ((i * 37) % 300) }, (_, k) => (k * 131 + i * 17) & 0xff);
      codec.decodeFrame(junk, frame);
    }
    const good = new OpusCodec(111);
    assert.equal(codec.decodeFrame(good.encodeFrame(new Int16Array(160)), frame), true, 'still decodes afterwards');
    good.close();
    codec.close();
    frame.fill(7);
    assert.equal(codec.decodeFrame(Uint8Array.of(0x08, 0x01), frame), false, 'closed');
    assert.ok(frame.every((x) => x === 0));
    assert.throws(() => codec.encodeFrame(new Int16Array(160)), { code: 'OPUS_CODEC_CLOSED' });
    codec.close();
  });
});
