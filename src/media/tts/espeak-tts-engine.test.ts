import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { AppError, FakeClock, ValidationError } from '../../shared/index.ts';
import type { SpawnFn } from '../player/index.ts';
import { EspeakTtsEngine, VOICE_TABLE } from './index.ts';

/** Root mean square of 16-bit samples. */
function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** Normalised autocorrelation of `frame` at `lag`. */
function correlation(frame: Int16Array, lag: number): number {
  let num = 0;
  let a = 0;
  let b = 0;
  for (let i = 0; i + lag < frame.length; i++) {
    const x = frame[i] as number;
    const y = frame[i + lag] as number;
    num += x * y;
    a += x * x;
    b += y * y;
  }
  return num / Math.sqrt(a * b + 1);
}

/** Median fundamental frequency (Hz) of the voiced 40 ms frames of 8 kHz speech. */
function medianPitchHz(samples: Int16Array): number {
  const found: number[] = [];
  for (let start = 0; start + 320 <= samples.length; start += 160) {
    const frame = samples.subarray(start, start + 320);
    if (rms(frame) < 1000) continue;
    let best = 0;
    let bestLag = 0;
    // Lags 20..133 samples cover 60..400 Hz, the range of human voices.
    for (let lag = 20; lag <= 133; lag++) {
      const c = correlation(frame, lag);
      if (c > best) [best, bestLag] = [c, lag];
    }
    if (best > 0.6) found.push(8000 / bestLag);
  }
  found.sort((x, y) => x - y);
  return found[Math.floor(found.length / 2)] ?? 0;
}

/** A spawn function that counts the processes it starts. */
function countingSpawn(): { spawn: SpawnFn; count: () => number } {
  let n = 0;
  return { spawn: (c, a, o) => (n++, spawn(c, a, o)), count: () => n };
}

describe('EspeakTtsEngine: every voice of the table', { concurrency: 2 }, () => {
  const engine = new EspeakTtsEngine();
  for (const entry of VOICE_TABLE) {
    it(`${entry.language}: male, female and neutral speak non-silent 8 kHz audio; female is higher`, async () => {
      const male = await engine.synthesize({ text: entry.sample, language: entry.language, gender: 'male' });
      const female = await engine.synthesize({ text: entry.sample, language: entry.language, gender: 'female' });
      const neutral = await engine.synthesize({ text: entry.sample, language: entry.language, gender: 'neutral' });
      for (const [gender, pcm] of [
        ['male', male],
        ['female', female],
        ['neutral', neutral],
      ] as const) {
        const seconds = pcm.length / 8000;
        assert.ok(seconds > 0.5 && seconds < 10, `${gender}: ${seconds} s`);
        assert.ok(rms(pcm) > 1000, `${gender}: rms ${rms(pcm)}`);
      }
      assert.notDeepEqual(female, male);
      const [fm, ff] = [medianPitchHz(male), medianPitchHz(female)];
      assert.ok(ff > fm * 1.3, `pitch male ${fm} Hz, female ${ff} Hz`);
    });
  }
});

describe('EspeakTtsEngine', () => {
  it('never speaks SSML tags: <speak>hello</speak> lasts as long as "hello"', async () => {
    const engine = new EspeakTtsEngine();
    const plain = await engine.synthesize({ text: 'hello', language: 'en-US', gender: 'female' });
    const ssml = await engine.synthesize({ text: '<speak>hello</speak>', language: 'en-US', gender: 'female' });
    assert.ok(Math.abs(ssml.length - plain.length) <= plain.length * 0.1, `${ssml.length} vs ${plain.length}`);
    const rich = await engine.synthesize({
      text: '<speak version="1.0" xml:lang="en-US"><prosody rate="slow">hello</prosody><break time="2s"/><!-- note --></speak>',
      language: 'en-US',
      gender: 'female',
    });
    assert.ok(Math.abs(rich.length - plain.length) <= plain.length * 0.1, `${rich.length} vs ${plain.length}`);
  });

  it('refuses an unknown language without starting espeak-ng', async () => {
    const counter = countingSpawn();
    const engine = new EspeakTtsEngine({ spawn: counter.spawn });
    await assert.rejects(
      engine.synthesize({ text: 'hi', language: 'tlh-XX', gender: 'male' }),
      (err: unknown) =>
        err instanceof ValidationError && err.code === 'UNSUPPORTED_LANGUAGE' && err.message.includes('tlh-XX'),
    );
    assert.equal(counter.count(), 0);
  });

  it('refuses text over the length limit and returns no audio for empty text', async () => {
    const engine = new EspeakTtsEngine({ maxTextChars: 20 });
    await assert.rejects(
      engine.synthesize({ text: 'x'.repeat(21), language: 'en', gender: 'male' }),
      (err: unknown) => err instanceof AppError && err.code === 'TEXT_TOO_LONG',
    );
    assert.equal((await engine.synthesize({ text: '<speak> </speak>', language: 'en', gender: 'male' })).length, 0);
  });

  it('kills espeak-ng on abort and rejects with TTS_ABORTED', async () => {
    let child: ReturnType<SpawnFn> | undefined;
    const engine = new EspeakTtsEngine({ spawn: (c, a, o) => (child = spawn(c, a, o)) });
    const controller = new AbortController();
    const work = engine.synthesize({
      text: 'a long sentence. '.repeat(200),
      language: 'en',
      gender: 'male',
      signal: controller.signal,
    });
    controller.abort();
    await assert.rejects(work, (err: unknown) => err instanceof AppError && err.code === 'TTS_ABORTED');
    assert.ok(child);
    if (child.exitCode === null && child.signalCode === null)
      await new Promise((resolve) => child?.once('close', resolve));
    assert.equal(child.signalCode, 'SIGKILL');
  });

  it('times out through the injected clock with TTS_TIMEOUT', async () => {
    const clock = new FakeClock();
    const engine = new EspeakTtsEngine({
      clock,
      timeoutMs: 3000,
      command: 'sleep',
      spawn: (c, _a, o) => spawn(c, ['5'], o),
    });
    const work = engine.synthesize({ text: 'hello', language: 'en', gender: 'male' });
    clock.advance(3000);
    await assert.rejects(work, (err: unknown) => err instanceof AppError && err.code === 'TTS_TIMEOUT');
  });

  it('reports a missing executable as TTS_FAILED', async () => {
    const engine = new EspeakTtsEngine({ command: 'espeak-ng-does-not-exist' });
    await assert.rejects(
      engine.synthesize({ text: 'hello', language: 'en', gender: 'male' }),
      (err: unknown) => err instanceof AppError && err.code === 'TTS_FAILED',
    );
  });
});
