import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PcmSource, parseWav } from '../../src/media/index.ts';
import {
  bestCorrelation,
  speechLike,
  startBaresipPhone,
  startMediaUa,
  trimSilence,
  writeWav8k,
  type BaresipPhone,
  type MediaUa,
} from '../support/media-call.ts';

const LENGTH_TOLERANCE_SAMPLES = 800;
const MIN_CORRELATION = 0.8;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Asserts that `heard` holds `played`: same length once silence is trimmed, and the same waveform. */
function assertSameAudio(played: Int16Array, heard: Int16Array, what: string): void {
  const a = trimSilence(played);
  const b = trimSilence(heard);
  assert.ok(b.length > 0, `${what}: only silence was recorded`);
  assert.ok(
    Math.abs(a.length - b.length) <= LENGTH_TOLERANCE_SAMPLES,
    `${what}: played ${a.length / 8} ms, recorded ${b.length / 8} ms`,
  );
  const { value, lag } = bestCorrelation(a, b);
  if (value >= MIN_CORRELATION) return;
  // A starved machine can make the real-time path drop or repeat a 20 ms frame mid-way, which
  // shifts the rest by a frame and lowers the whole-signal figure: then every quarter of the
  // played audio must still be found, in order, near its place (within ±100 ms).
  const quarters = [0, 1, 2, 3].map((k) => {
    const from = Math.floor((k * a.length) / 4);
    return windowCorrelation(a.subarray(from, Math.floor(((k + 1) * a.length) / 4)), b, from, 800);
  });
  assert.ok(
    quarters.every((q) => q.value >= MIN_CORRELATION),
    `${what}: normalised cross-correlation ${value.toFixed(3)} at lag ${lag}; by quarter ${quarters
      .map((q) => `${q.value.toFixed(3)}@${q.lag}`)
      .join(', ')}`,
  );
}

/** Highest normalised correlation of `seg` with the window of `b` of its length at `offset` ± `maxLag`. */
function windowCorrelation(
  seg: Int16Array,
  b: Int16Array,
  offset: number,
  maxLag: number,
): { value: number; lag: number } {
  let energySeg = 0;
  for (const x of seg) energySeg += x * x;
  let best = { value: 0, lag: 0 };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const start = offset + lag;
    if (start < 0 || start + seg.length > b.length) continue;
    let sum = 0;
    let energyB = 0;
    for (let i = 0; i < seg.length; i++) {
      const y = b[start + i] as number;
      sum += (seg[i] as number) * y;
      energyB += y * y;
    }
    const norm = Math.sqrt(energySeg * energyB);
    if (norm > 0 && sum / norm > best.value) best = { value: sum / norm, lag };
  }
  return best;
}

describe('media with a real peer (baresip)', () => {
  let dir: string;
  let ua: MediaUa;
  const phones: BaresipPhone[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-media-play-'));
    ua = await startMediaUa();
  });

  after(async () => {
    await ua.close();
    await Promise.all(phones.map((p) => p.stop()));
    await rm(dir, { recursive: true, force: true });
    assert.equal(ua.allocator.inUse, 0);
  });

  it('callbin plays a known WAV into baresip, which hears it whole (length ±100 ms, correlation ≥ 0.8)', async () => {
    const speech = speechLike(7);
    const path = join(dir, 'prompt.wav');
    await writeWav8k(path, speech);
    const phone = await startBaresipPhone();
    phones.push(phone);
    const call = await ua.call(phone.uri);
    await phone.baresip.waitForEvent((e) => e.type === 'CALL_ESTABLISHED');
    const played = parseWav(await readFile(path)).samples;
    assert.equal(await call.endpoint.play(new PcmSource(played)), 'ended');
    await sleep(300);
    await call.hangup();
    await phone.baresip.waitForEvent((e) => e.type === 'CALL_CLOSED');
    assertSameAudio(speech, await phone.heard(), 'baresip *-dec.wav');
  });

  it('baresip plays an aufile WAV into the call, and callbin records it in _in', async () => {
    const speech = speechLike(11);
    const padded = new Int16Array(speech.length + 8000);
    padded.set(speech, 4000);
    const path = join(dir, 'caller.wav');
    await writeWav8k(path, padded);
    const phone = await startBaresipPhone({ sourceWav: path });
    phones.push(phone);
    const call = await ua.call(phone.uri);
    const recorder = await call.endpoint.record({ basePath: join(dir, 'leg') });
    await phone.baresip.waitForEvent((e) => e.type === 'CALL_ESTABLISHED');
    await sleep(padded.length / 8 + 700);
    const result = await recorder.stop();
    await call.hangup();
    assert.deepEqual(
      result.files.map((f) => f.path),
      [join(dir, 'leg_in.wav'), join(dir, 'leg_out.wav')],
    );
    assertSameAudio(speech, parseWav(await readFile(join(dir, 'leg_in.wav'))).samples, 'callbin _in.wav');
    assert.deepEqual(
      trimSilence(parseWav(await readFile(join(dir, 'leg_out.wav'))).samples).length,
      0,
      'callbin sent only silence',
    );
  });
});
