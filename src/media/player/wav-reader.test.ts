import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import wavefile from 'wavefile';
import { AppError } from '../../shared/index.ts';
import { decodeWavTo8k, isPlainPcmWav, parseWav, resample } from './index.ts';

/** Root mean square of 16-bit samples. */
function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** A sine at `hz` sampled at `rate`, peak `amp` (full scale = 1). */
function sine(hz: number, rate: number, seconds: number, amp = 0.5): number[] {
  return Array.from({ length: Math.round(rate * seconds) }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));
}

/** A WAV file written by an independent library (wavefile). */
function wav(rate: number, channels: number, bits: '8' | '16', seconds: number, hz = 440): Uint8Array {
  const mono = sine(hz, rate, seconds);
  const scaled = bits === '8' ? mono.map((v) => Math.round(128 + v * 127)) : mono.map((v) => Math.round(v * 32767));
  const file = new wavefile.WaveFile();
  file.fromScratch(channels, rate, bits, channels === 1 ? scaled : Array.from({ length: channels }, () => scaled));
  return file.toBuffer();
}

describe('parseWav / decodeWavTo8k', () => {
  const cases: [number, number, '8' | '16'][] = [
    [8000, 1, '16'],
    [16000, 1, '16'],
    [44100, 1, '16'],
    [44100, 2, '16'],
    [22050, 2, '16'],
    [48000, 1, '16'],
    [8000, 1, '8'],
    [11025, 2, '8'],
  ];
  for (const [rate, channels, bits] of cases) {
    it(`decodes ${rate} Hz ${channels}-channel ${bits}-bit to 1.5 s of 8 kHz audio (±1 frame)`, () => {
      const bytes = wav(rate, channels, bits, 1.5);
      assert.equal(isPlainPcmWav(bytes), true);
      const info = parseWav(bytes);
      assert.equal(info.sampleRate, rate);
      assert.equal(info.channels, channels);
      const pcm = decodeWavTo8k(bytes);
      assert.ok(Math.abs(pcm.length - 12000) <= 160, `length ${pcm.length}`);
      const level = rms(pcm.subarray(400, -400));
      assert.ok(level > 0.5 * Math.SQRT1_2 * 32767 * 0.85 && level < 0.5 * Math.SQRT1_2 * 32767 * 1.15, `rms ${level}`);
    });
  }

  it('trusts the bytes present when the data size is a streaming placeholder (espeak-ng --stdout)', () => {
    const bytes = wav(22050, 1, '16', 0.5);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(40, 0x7ffff000, true);
    assert.equal(parseWav(bytes).samples.length, 11025);
  });

  it('refuses bytes that are not WAV with MEDIA_DECODE_FAILED and does not claim them as PCM', () => {
    const junk = new TextEncoder().encode('ID3 definitely not a wav file');
    assert.equal(isPlainPcmWav(junk), false);
    assert.throws(
      () => parseWav(junk),
      (err: unknown) => err instanceof AppError && err.code === 'MEDIA_DECODE_FAILED',
    );
  });

  it('leaves µ-law WAV to ffmpeg', () => {
    const bytes = wav(8000, 1, '16', 0.2);
    new DataView(bytes.buffer, bytes.byteOffset).setUint16(20, 7, true);
    assert.equal(isPlainPcmWav(bytes), false);
  });
});

describe('resample', () => {
  it('keeps a 1 kHz tone at its level when going 44.1 kHz -> 8 kHz', () => {
    const input = Int16Array.from(sine(1000, 44100, 1).map((v) => Math.round(v * 32767)));
    const out = resample(input, 44100, 8000);
    assert.equal(out.length, 8000);
    const ratio = rms(out.subarray(200, -200)) / rms(input);
    assert.ok(ratio > 0.97 && ratio < 1.03, `gain ${ratio}`);
  });

  it('low-passes before decimating: a 6 kHz tone does not alias into the 8 kHz output', () => {
    const input = Int16Array.from(sine(6000, 44100, 1).map((v) => Math.round(v * 32767)));
    const out = resample(input, 44100, 8000);
    // Naive sample dropping would fold 6 kHz to a full-level 2 kHz tone.
    assert.ok(rms(out.subarray(200, -200)) < rms(input) * 0.01, `leak ${rms(out) / rms(input)}`);
  });

  it('upsamples 8 kHz -> 16 kHz with the right length and level', () => {
    const input = Int16Array.from(sine(500, 8000, 0.5).map((v) => Math.round(v * 32767)));
    const out = resample(input, 8000, 16000);
    assert.equal(out.length, 8000);
    const ratio = rms(out.subarray(200, -200)) / rms(input);
    assert.ok(ratio > 0.97 && ratio < 1.03, `gain ${ratio}`);
  });
});
