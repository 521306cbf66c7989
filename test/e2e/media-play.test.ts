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

/**
 * Asserts that `heard` holds `played`: same length once silence is trimmed, and the same waveform
 * (one normalised cross-correlation over the whole signal); returns that correlation.
 */
function assertSameAudio(played: Int16Array, heard: Int16Array, what: string): number {
  const a = trimSilence(played);
  const b = trimSilence(heard);
  assert.ok(b.length > 0, `${what}: only silence was recorded`);
  assert.ok(
    Math.abs(a.length - b.length) <= LENGTH_TOLERANCE_SAMPLES,
    `${what}: played ${a.length / 8} ms, recorded ${b.length / 8} ms`,
  );
  const { value, lag } = bestCorrelation(a, b);
  assert.ok(value >= MIN_CORRELATION, `${what}: normalised cross-correlation ${value.toFixed(3)} at lag ${lag}`);
  return value;
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

  // `_in` is the leg's packets placed by RTP timestamp (docs/media.md "Recording"), so a process
  // starved of CPU that reads a burst of them late still records each at its place: no frame slips.
  it('baresip plays an aufile WAV into the call, and callbin records it in _in placed by timestamp', async (t) => {
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
    const placement = JSON.stringify(recorder.heardStats);
    assert.ok((recorder.heardStats?.placed ?? 0) > 0, `_in placed from the packets: ${placement}`);
    const heard = parseWav(await readFile(join(dir, 'leg_in.wav'))).samples;
    const value = assertSameAudio(speech, heard, `callbin _in.wav (placement ${placement})`);
    t.diagnostic(`_in correlation ${value.toFixed(3)}; placement ${placement}`);
    assert.deepEqual(
      trimSilence(parseWav(await readFile(join(dir, 'leg_out.wav'))).samples).length,
      0,
      'callbin sent only silence',
    );
  });
});
