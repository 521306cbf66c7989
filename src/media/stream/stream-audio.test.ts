import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goertzelPower, sineTone } from '../testing/tones.ts';
import { StreamAudioDecoder, StreamAudioEncoder, wireBytesFor } from './stream-audio.ts';

/** Encodes `pcm` frame by frame (160 samples), as the stream does. */
function encodeFrames(encoder: StreamAudioEncoder, pcm: Int16Array): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i + 160 <= pcm.length; i += 160) out.push(encoder.encode(pcm.subarray(i, i + 160)));
  return out;
}

function int16le(bytes: Buffer): Int16Array {
  return Int16Array.from({ length: bytes.length / 2 }, (_, i) => bytes.readInt16LE(2 * i));
}

test('audio: µ-law round trip of a tone stays within the companding error', () => {
  const tone = sineTone(440, 200);
  const frames = encodeFrames(new StreamAudioEncoder('ulaw'), tone);
  assert.ok(frames.every((f) => f.length === 160));
  const decoded = new StreamAudioDecoder('ulaw').decode(Buffer.concat(frames));
  assert.equal(decoded.length, tone.length);
  for (let i = 0; i < tone.length; i++) {
    const x = tone[i]!;
    // µ-law's step is at most 1/16 of the segment: within ~3.2 % of the magnitude plus the bias.
    assert.ok(Math.abs(decoded[i]! - x) <= Math.abs(x) / 16 + 8, `sample ${i}: ${x} -> ${decoded[i]}`);
  }
});

test('audio: slin16 sending doubles the rate and keeps a 440 Hz tone and the length', () => {
  const tone = sineTone(440, 400);
  const frames = encodeFrames(new StreamAudioEncoder('slin16'), tone);
  assert.ok(frames.every((f) => f.length === 640 && f.length === wireBytesFor('slin16', 160)));
  const wide = int16le(Buffer.concat(frames));
  assert.equal(wide.length, tone.length * 2);
  const at440 = goertzelPower(wide, 440, 16000);
  assert.ok(2 * Math.sqrt(at440) > 7000, `amplitude at 440 Hz: ${2 * Math.sqrt(at440)}`);
  for (const other of [1000, 7560]) assert.ok(goertzelPower(wide, other, 16000) < at440 / 100, `${other} Hz`);
  // Samples land where they belong: every odd 16 kHz sample is the 8 kHz one.
  for (let i = 0; i < tone.length; i++) assert.equal(wide[2 * i + 1], tone[i]);
});

test('audio: slin16 playback halves the rate, keeps a 440 Hz tone and the length, removes what would alias', () => {
  const tone = sineTone(440, 400, 16000);
  const alias = sineTone(6000, 400, 16000);
  const bytes = Buffer.alloc(tone.length * 2);
  for (let i = 0; i < tone.length; i++) bytes.writeInt16LE(tone[i]! + alias[i]!, 2 * i);
  const decoder = new StreamAudioDecoder('slin16');
  // Payloads of odd sample counts: the leftover sample carries to the next one.
  const parts = [bytes.subarray(0, 642), bytes.subarray(642, 1000), bytes.subarray(1000)];
  const out = parts.map((p) => decoder.decode(p));
  assert.deepEqual(
    out.map((o) => o.length),
    [160, 90, (tone.length - 500) / 2],
  );
  const narrow = Int16Array.from(out.flatMap((o) => [...o]));
  assert.equal(narrow.length, tone.length / 2);
  const at440 = goertzelPower(narrow, 440, 8000);
  assert.ok(2 * Math.sqrt(at440) > 7000, `amplitude at 440 Hz: ${2 * Math.sqrt(at440)}`);
  // 6 kHz would fold onto 2 kHz: the low-pass takes it down by more than 20 dB.
  assert.ok(goertzelPower(narrow, 2000, 8000) < at440 / 100, 'the 6 kHz tone does not alias to 2 kHz');
  assert.throws(() => decoder.decode(Buffer.alloc(3)), RangeError);
});

test('audio: slin16 there and back keeps the tone', () => {
  const tone = sineTone(440, 400);
  const encoded = Buffer.concat(encodeFrames(new StreamAudioEncoder('slin16'), tone));
  const back = new StreamAudioDecoder('slin16').decode(encoded);
  assert.equal(back.length, tone.length);
  const p = goertzelPower(back, 440);
  assert.ok(Math.abs(2 * Math.sqrt(p) - 8000) < 400, `amplitude ${2 * Math.sqrt(p)}`);
});

test('audio: encoding into a given buffer allocates nothing and refuses a short one', () => {
  const encoder = new StreamAudioEncoder('ulaw');
  const out = Buffer.alloc(160);
  assert.equal(encoder.encode(new Int16Array(160), out), out);
  assert.equal(out[0], 0xff);
  assert.throws(() => new StreamAudioEncoder('slin16').encode(new Int16Array(160), Buffer.alloc(100)), RangeError);
});
