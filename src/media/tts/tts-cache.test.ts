import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../shared/index.ts';
import type { SpawnFn } from '../player/index.ts';
import { CachedTtsEngine, EspeakTtsEngine } from './index.ts';
import type { TtsEngine, TtsRequest } from './index.ts';

/** An espeak engine whose process starts are counted. */
function countedEspeak(): { engine: EspeakTtsEngine; spawns: () => number } {
  let n = 0;
  const counting: SpawnFn = (c, a, o) => {
    n++;
    return spawn(c, a, o);
  };
  return { engine: new EspeakTtsEngine({ spawn: counting }), spawns: () => n };
}

const hello: TtsRequest = { text: 'Hello from the cache.', language: 'en-GB', gender: 'female' };

describe('CachedTtsEngine', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-tts-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns the same samples on a hit without spawning espeak-ng again', async () => {
    const { engine, spawns } = countedEspeak();
    const cached = new CachedTtsEngine(engine);
    const first = await cached.synthesize(hello);
    const second = await cached.synthesize({ ...hello });
    assert.equal(spawns(), 1);
    assert.deepEqual(second, first);
    assert.equal(cached.stats.hits, 1);
  });

  it('keys on text, language, gender and voice', async () => {
    const { engine, spawns } = countedEspeak();
    const cached = new CachedTtsEngine(engine);
    await cached.synthesize(hello);
    await cached.synthesize({ ...hello, gender: 'male' });
    await cached.synthesize({ ...hello, language: 'en-US' });
    await cached.synthesize({ ...hello, text: 'Something else.' });
    await cached.synthesize({ ...hello, voiceId: 'espeak-de-DE-male' });
    await cached.synthesize({ ...hello, language: 'EN-gb' });
    assert.equal(spawns(), 5);
  });

  it('shares one synthesis between concurrent identical requests', async () => {
    const { engine, spawns } = countedEspeak();
    const cached = new CachedTtsEngine(engine);
    const results = await Promise.all([cached.synthesize(hello), cached.synthesize(hello), cached.synthesize(hello)]);
    assert.equal(spawns(), 1);
    assert.equal(results[1], results[0]);
    assert.equal(results[2], results[0]);
  });

  it('keeps synthesising for the other waiters when one of them aborts', async () => {
    const { engine, spawns } = countedEspeak();
    const cached = new CachedTtsEngine(engine);
    const controller = new AbortController();
    const leaving = cached.synthesize({ ...hello, signal: controller.signal });
    const staying = cached.synthesize(hello);
    controller.abort();
    await assert.rejects(leaving, (err: unknown) => err instanceof AppError && err.code === 'TTS_ABORTED');
    assert.ok((await staying).length > 8000);
    assert.equal(spawns(), 1);
  });

  it('survives a restart through the disk cache', async () => {
    const a = countedEspeak();
    const first = await new CachedTtsEngine(a.engine, { directory: dir }).synthesize(hello);
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.pcm')).length, 1);
    const b = countedEspeak();
    const again = await new CachedTtsEngine(b.engine, { directory: dir }).synthesize(hello);
    assert.equal(b.spawns(), 0);
    assert.deepEqual(again, first);
  });

  it('evicts the least recently used speech beyond the byte budget', async () => {
    let calls = 0;
    const fake: TtsEngine = {
      voices: () => [],
      synthesize: async () => {
        calls++;
        return new Int16Array(1000);
      },
    };
    const cached = new CachedTtsEngine(fake, { maxBytes: 4000 });
    await cached.synthesize({ ...hello, text: 'a' });
    await cached.synthesize({ ...hello, text: 'b' });
    await cached.synthesize({ ...hello, text: 'a' });
    await cached.synthesize({ ...hello, text: 'c' });
    assert.equal(calls, 3);
    await cached.synthesize({ ...hello, text: 'a' });
    assert.equal(calls, 3, 'a was used recently and stayed');
    await cached.synthesize({ ...hello, text: 'b' });
    assert.equal(calls, 4, 'b was evicted');
    assert.ok(cached.stats.bytes <= 4000);
  });
});
