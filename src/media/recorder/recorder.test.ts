import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { FakeClock } from '../../shared/index.ts';
import { LegRecorder, WavWriter, repairWav } from './index.ts';

function tone(frequencyHz: number, samples: number, offset = 0): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++)
    out[i] = Math.round(8000 * Math.sin((2 * Math.PI * frequencyHz * (i + offset)) / 8000));
  return out;
}

async function readWav(path: string): Promise<{ channels: number; rate: number; bits: string; samples: Int16Array }> {
  const wav = new wavefile.WaveFile(new Uint8Array(await readFile(path)));
  const fmt = wav.fmt as { numChannels: number; sampleRate: number };
  return {
    channels: fmt.numChannels,
    rate: fmt.sampleRate,
    bits: wav.bitDepth,
    samples: wav.getSamples(true, Int16Array) as unknown as Int16Array,
  };
}

test('recorder: a streamed tone reads back as a valid 8 kHz 16-bit WAV with every sample', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-wav-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const writer = await WavWriter.open(join(dir, 'tone.wav'), { clock: new FakeClock() });
  const pcm = tone(440, 8000 * 2 + 123);
  for (let at = 0; at < pcm.length; at += 160) writer.write(pcm.subarray(at, Math.min(at + 160, pcm.length)));
  const bytes = await writer.close();
  assert.equal(bytes, 44 + pcm.length * 2);
  const wav = await readWav(writer.path);
  assert.deepEqual([wav.channels, wav.rate, wav.bits], [1, 8000, '16']);
  assert.deepEqual(wav.samples, pcm);
  assert.equal(await writer.close(), bytes, 'close is idempotent');
  assert.throws(() => writer.write(pcm), { code: 'RECORDER_CLOSED' });
});

test('recorder: a file left by a crash is repaired with all but at most the last second', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-wav-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const clock = new FakeClock();
  const writer = await WavWriter.open(join(dir, 'live.wav'), { clock });
  const pcm = tone(300, Math.round(8000 * 3.5));
  for (let at = 0; at < pcm.length; at += 160) {
    writer.write(pcm.subarray(at, at + 160));
    clock.advance(20);
  }
  await writer.drain();
  writer.write(tone(300, 800));
  const crashed = join(dir, 'crashed.wav');
  await copyFile(writer.path, crashed);
  await writer.close();
  const before = await readFile(crashed);
  assert.equal(before.readUInt32LE(40), 0, 'placeholder data size until close');
  const repaired = await repairWav(crashed);
  const wav = await readWav(crashed);
  assert.ok(wav.samples.length >= pcm.length - 8000, `kept ${wav.samples.length} of ${pcm.length}`);
  assert.deepEqual(wav.samples, pcm.subarray(0, wav.samples.length));
  assert.equal(repaired.dataBytes, wav.samples.length * 2);
  assert.equal((await stat(crashed)).size, 44 + repaired.dataBytes);
});

test('recorder: split files per direction, stopping by duration', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-rec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const rec = await LegRecorder.open({ basePath: join(dir, 'call'), durationSec: 1, clock: new FakeClock() });
  const said = tone(500, 160);
  const heard = tone(900, 160);
  for (let i = 0; i < 80 && !rec.stopped; i++) rec.write(said, heard);
  const result = await rec.stop();
  assert.equal(result.reason, 'duration');
  assert.equal(result.durationSec, 1);
  const [inWav, outWav] = await Promise.all([readWav(join(dir, 'call_in.wav')), readWav(join(dir, 'call_out.wav'))]);
  assert.equal(inWav.samples.length, 8000);
  assert.deepEqual(inWav.samples.subarray(0, 160), said);
  assert.deepEqual(outWav.samples.subarray(0, 160), heard);
});

test('recorder: stereo file (left = said, right = heard), stopping on silence and on a key', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-rec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const quiet = new Int16Array(160);
  const loud = tone(700, 160);
  const rec = await LegRecorder.open({
    basePath: join(dir, 'st'),
    format: 'stereo',
    endOfSilenceSec: 2,
    clock: new FakeClock(),
  });
  for (let i = 0; i < 50; i++) rec.write(loud, quiet);
  for (let i = 0; i < 200 && !rec.stopped; i++) rec.write(quiet, loud);
  const result = await rec.stop();
  assert.equal(result.reason, 'silence');
  assert.equal(result.durationSec, 3);
  const wav = await readWav(join(dir, 'st.wav'));
  assert.equal(wav.channels, 2);
  assert.equal(wav.samples[2], loud[1]);
  assert.equal(wav.samples[3], 0);

  const keyed = await LegRecorder.open({ basePath: join(dir, 'key'), endOfKey: '#', clock: new FakeClock() });
  keyed.write(loud, loud);
  keyed.onDtmf('1');
  assert.equal(keyed.stopped, false);
  keyed.onDtmf('#');
  assert.equal((await keyed.stop()).reason, 'key');
});
